#include "frontend/MetricsLog.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "ir/Error.h"

namespace sigma {

namespace {
// fmt's "{}" is the shortest form that reads back to the same value.
template <typename T>
std::string number(T v) {
  return std::isfinite(v) ? fmt::format("{}", v) : "null";
}

// Parameter names are [A-Za-z0-9_.]; escape anyway so the line stays JSON.
std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) out += fmt::format("\\u{:04x}", int(c));
    else out += c;
  }
  return out + "\"";
}

std::string head(int64_t step, int64_t epoch, std::string loss, float lr, const StepResult& r) {
  std::string s = fmt::format("{{\"step\":{},\"epoch\":{},\"loss\":{},\"lr\":{},\"weights\":{{", step, epoch, loss,
                              number(lr));
  for (size_t i = 0; i < r.weights.size(); ++i) {
    const WeightStats& w = r.weights[i];
    s += fmt::format(
        "{}{}:{{\"sum\":{},\"abs_sum\":{},\"sq_sum\":{},\"max_abs\":{},\"zeros\":{},\"grad_sq_sum\":{}}}",
        i ? "," : "", quoted(w.name), number(w.sum), number(w.abs_sum), number(w.sq_sum), number(w.max_abs),
        std::isfinite(w.zeros) ? fmt::format("{}", int64_t(w.zeros)) : "null", number(w.grad_sq_sum));
  }
  return s + "}";
}
}  // namespace

std::string metricsStepLine(int64_t step, int64_t epoch, float loss, float lr, const StepResult& result) {
  return head(step, epoch, number(loss), lr, result) + "}";
}

std::string metricsEpochLine(int64_t step, int64_t epoch, double loss, float lr, const StepResult& last,
                             const EvalResult* test) {
  return head(step, epoch, number(loss), lr, last) +
         fmt::format(",\"test_loss\":{},\"test_accuracy\":{}}}", test ? number(test->loss) : "null",
                     test ? number(test->accuracy) : "null");
}

MetricsLog::~MetricsLog() {
  if (file_) std::fclose(file_);
}

void MetricsLog::open(const std::string& path, int64_t keepBytes) {
  if (file_) std::fclose(file_), file_ = nullptr;
  path_ = path;
  std::error_code ec;
  if (keepBytes > 0) {
    auto size = std::filesystem::file_size(path, ec);
    if (ec) fail("{}: cannot resume the metrics log: {}", path, ec.message());
    if (int64_t(size) < keepBytes)
      fail("{}: the metrics log has {} bytes, the checkpoint expects at least {}", path, size, keepBytes);
    // Lines after the checkpoint belong to steps that will run again.
    std::filesystem::resize_file(path, uintmax_t(keepBytes), ec);
    if (ec) fail("{}: cannot truncate the metrics log: {}", path, ec.message());
  }
  file_ = std::fopen(path.c_str(), keepBytes > 0 ? "ab" : "wb");
  if (!file_) fail("{}: cannot open the metrics log: {}", path, std::strerror(errno));
  bytes_ = keepBytes;
}

void MetricsLog::write(const std::string& line) {
  if (!file_) return;
  if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() || std::fputc('\n', file_) == EOF)
    fail("{}: cannot write the metrics log: {}", path_, std::strerror(errno));
  bytes_ += int64_t(line.size()) + 1;
}

void MetricsLog::flush() {
  if (file_ && std::fflush(file_) != 0) fail("{}: cannot write the metrics log: {}", path_, std::strerror(errno));
}

}  // namespace sigma

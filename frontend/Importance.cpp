#include "frontend/Importance.h"

#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "frontend/Compile.h"
#include "ir/Error.h"

namespace sigma {

std::vector<float> inputImportance(std::span<const float> w, int64_t out, int64_t in) {
  if (out <= 0 || in <= 0 || int64_t(w.size()) != out * in)
    fail("inputImportance: a [{}, {}] weight has {} values, got {}", out, in, out * in, w.size());
  // Row by row, so the reads are sequential; double keeps a 512-term sum
  // of small magnitudes exact to float precision.
  std::vector<double> sums(size_t(in), 0.0);
  for (int64_t o = 0; o < out; ++o) {
    const float* row = w.data() + o * in;
    for (int64_t i = 0; i < in; ++i) sums[size_t(i)] += std::fabs(double(row[i]));
  }
  return {sums.begin(), sums.end()};
}

InputImportance inputImportance(const Checkpoint& checkpoint, const std::string& source) {
  for (const NamedTensor& t : checkpoint.tensors) {
    if (t.shape.size() != 2) continue;
    return {t.name, t.shape[0], t.shape[1], inputImportance(t.data, t.shape[0], t.shape[1])};
  }
  fail("{}: no 2-D weight to compute input importance from (tensors must be [out, in] matrices)", source);
}

InputImportance inputImportance(const TrainingStep& step) {
  const int64_t features = step.batch() > 0 ? step.inputSize() / step.batch() : 0;
  const Graph& forward = step.forwardGraph();
  for (const std::string& name : step.parameterNames()) {
    const Node* p = forward.find(name);
    if (!p || p->type.shape.size() != 2 || p->type.shape[1] != features) continue;
    return {name, p->type.shape[0], p->type.shape[1], inputImportance(step.parameter(name), p->type.shape[0], p->type.shape[1])};
  }
  fail("inputImportance: no [out, {}] weight matrix among the parameters: which one is the first layer?", features);
}

std::optional<InputImportance> tryInputImportance(const TrainingStep& step) {
  try {
    return inputImportance(step);
  } catch (const Error&) {
    return std::nullopt;
  }
}

std::string importanceLine(int64_t epoch, int64_t step, const InputImportance& imp) {
  std::string line = fmt::format(R"({{"epoch":{},"step":{},"layer":"{}","out":{},"in":{},"values":[)", epoch, step,
                                 imp.layer, imp.outFeatures, imp.inFeatures);
  for (size_t i = 0; i < imp.values.size(); ++i)
    line += fmt::format("{}{}", i ? "," : "", std::isfinite(imp.values[i]) ? fmt::format("{}", imp.values[i]) : "null");
  return line + "]}";
}

std::vector<ImportanceSnapshot> parseImportanceLog(std::string_view text, const std::string& filename) {
  std::vector<ImportanceSnapshot> out;
  size_t start = 0;
  for (int64_t lineNo = 1; start < text.size(); ++lineNo) {
    const size_t end = text.find('\n', start);
    if (end == std::string_view::npos) break;  // cut short by a kill: dropped
    const std::string_view line = text.substr(start, end - start);
    start = end + 1;
    if (line.empty()) continue;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) fail("{}:{}: error: not a JSON object", filename, lineNo);
    for (const char* field : {"epoch", "step", "layer", "out", "in", "values"})
      if (!j.contains(field)) fail("{}:{}: error: no \"{}\" field", filename, lineNo, field);
    ImportanceSnapshot s;
    try {
      s.epoch = j["epoch"].get<int64_t>(), s.step = j["step"].get<int64_t>();
      s.importance.layer = j["layer"].get<std::string>();
      s.importance.outFeatures = j["out"].get<int64_t>(), s.importance.inFeatures = j["in"].get<int64_t>();
      for (const auto& v : j["values"]) s.importance.values.push_back(v.is_null() ? std::numeric_limits<float>::quiet_NaN() : v.get<float>());
    } catch (const nlohmann::json::exception& e) {
      fail("{}:{}: error: {}", filename, lineNo, e.what());
    }
    if (int64_t(s.importance.values.size()) != s.importance.inFeatures)
      fail("{}:{}: error: {} values for {} input features", filename, lineNo, s.importance.values.size(),
           s.importance.inFeatures);
    out.push_back(std::move(s));
  }
  return out;
}

int64_t importanceLogBytesThrough(const std::string& path, int64_t epoch) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return 0;
  std::stringstream text;
  text << in.rdbuf();
  const std::string all = text.str();
  int64_t kept = 0;
  size_t start = 0;
  // Lines are in epoch order; keep them while their epoch is at most `epoch`.
  for (size_t end; (end = all.find('\n', start)) != std::string::npos; start = end + 1) {
    nlohmann::json j = nlohmann::json::parse(all.substr(start, end - start), nullptr, false);
    if (j.is_discarded() || !j.contains("epoch") || !j["epoch"].is_number_integer() || j["epoch"].get<int64_t>() > epoch)
      break;
    kept = int64_t(end + 1);
  }
  return kept;
}

}  // namespace sigma

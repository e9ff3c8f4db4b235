#include "frontend/Progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

namespace sigma {

namespace {
std::string clockTime(double seconds) {
  if (!(seconds >= 0) || seconds > 1e7) return "--:--";
  auto s = int64_t(seconds + 0.5);
  if (s >= 3600) return fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
  return fmt::format("{}:{:02}", s / 60, s % 60);
}
}  // namespace

ProgressReporter::ProgressReporter(ProgressMode mode, int64_t epochs, int64_t stepsPerEpoch)
    : mode_(mode), epochs_(epochs), stepsPerEpoch_(stepsPerEpoch) {
  if (mode_ == ProgressMode::Auto) mode_ = isatty(fileno(stderr)) ? ProgressMode::Bar : ProgressMode::Lines;
}

void ProgressReporter::beginEpoch(int64_t epoch) {
  epoch_ = epoch;
  if (mode_ == ProgressMode::Lines && lastDraw_ == Clock::time_point{}) lastDraw_ = Clock::now();
}

std::string ProgressReporter::status(int64_t stepInEpoch, float loss, double absSum, double seconds) const {
  const double rate = seconds > 0 ? double(stepsDone_) / seconds : 0;
  const int64_t remaining = (epochs_ - epoch_) * stepsPerEpoch_ - (stepInEpoch + 1);
  return fmt::format("epoch {}/{} step {}/{}  {:.1f} step/s  ETA {}  loss {:.4f}  Σ|w| {:.4g}", epoch_ + 1, epochs_,
                     stepInEpoch + 1, stepsPerEpoch_, rate, clockTime(rate > 0 ? double(remaining) / rate : -1),
                     loss, absSum);
}

void ProgressReporter::step(int64_t stepInEpoch, float loss, double absSum) {
  ++stepsDone_;
  if (mode_ == ProgressMode::Off) return;
  const auto now = Clock::now();
  const double sinceDraw = std::chrono::duration<double>(now - lastDraw_).count();
  const double seconds = std::chrono::duration<double>(now - start_).count();
  const bool last = stepInEpoch + 1 == stepsPerEpoch_;
  if (mode_ == ProgressMode::Bar) {
    if (sinceDraw < 0.1 && !last) return;
    constexpr int kWidth = 24;
    const int filled = int(kWidth * (stepInEpoch + 1) / std::max<int64_t>(stepsPerEpoch_, 1));
    std::string bar = std::string(size_t(filled), '#') + std::string(size_t(kWidth - filled), '.');
    fmt::print(stderr, "\r\x1b[K[{}] {}", bar, status(stepInEpoch, loss, absSum, seconds));
    std::fflush(stderr);
    drawn_ = true;
  } else {
    if (sinceDraw < 10) return;  // a line every ten seconds keeps CI logs short
    fmt::print(stderr, "{}\n", status(stepInEpoch, loss, absSum, seconds));
  }
  lastDraw_ = now;
}

void ProgressReporter::endEpoch() {
  if (mode_ == ProgressMode::Bar && drawn_) {
    fmt::print(stderr, "\r\x1b[K");
    std::fflush(stderr);
    drawn_ = false;
  }
}

}  // namespace sigma

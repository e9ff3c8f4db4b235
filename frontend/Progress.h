// The training progress display on stderr: a bar redrawn in place on a
// terminal (epoch, step, rate, ETA, loss), plain lines every few seconds when
// stderr is a file or a pipe (CI logs), or nothing. Display only: nothing
// here reaches metrics.jsonl, so wall-clock numbers are fine.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace sigma {

enum class ProgressMode {
  Auto,   // Bar if stderr is a terminal, Lines otherwise
  Bar,
  Lines,
  Off,
};

class ProgressReporter {
 public:
  ProgressReporter(ProgressMode mode, int64_t epochs, int64_t stepsPerEpoch);

  void beginEpoch(int64_t epoch);  // from 0
  // After step `stepInEpoch` (from 0) of the current epoch; redraws at most
  // ten times a second.
  // absSum: the model's total Σ|w| this step (the live view of its size).
  void step(int64_t stepInEpoch, float loss, double absSum);
  // Clears the bar, so that the caller's epoch summary starts on a clean line.
  void endEpoch();

  ProgressMode mode() const { return mode_; }

 private:
  using Clock = std::chrono::steady_clock;
  std::string status(int64_t stepInEpoch, float loss, double absSum, double seconds) const;

  ProgressMode mode_;
  int64_t epochs_, stepsPerEpoch_, epoch_ = 0;
  int64_t stepsDone_ = 0;  // since the reporter started, for the rate
  Clock::time_point start_ = Clock::now(), lastDraw_{};
  bool drawn_ = false;
};

}  // namespace sigma

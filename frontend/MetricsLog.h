// metrics.jsonl: one JSON object per line, per logged step and per epoch
// (BRIEF §3, docs/training.md):
//
//   {"step":100,"epoch":1,"loss":0.52,"lr":0.001,"weights":{"fc1.weight":{"sum":..,
//    "abs_sum":..,"sq_sum":..,"max_abs":..,"zeros":0,"grad_sq_sum":..},...}}
//
// An epoch's line has the same fields, its loss being the mean over the
// epoch's steps and its weights those of its last step, plus "test_loss" and
// "test_accuracy" (null without a test set). Numbers are printed in their
// shortest round-trip form; NaN and infinities, which JSON lacks, as null.
// Nothing in a line depends on the clock, so the same seed gives the same
// bytes.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "frontend/Compile.h"
#include "frontend/Evaluator.h"

namespace sigma {

// A step's line: `epoch` from 1, `step` the global count after the step.
std::string metricsStepLine(int64_t step, int64_t epoch, float loss, float lr, const StepResult& result);
// An epoch's line: `loss` the epoch's mean, `last` its last step's result.
std::string metricsEpochLine(int64_t step, int64_t epoch, double loss, float lr, const StepResult& last,
                             const EvalResult* test);

// An append-only metrics file that knows its size, so a checkpoint can
// record where the log stood and a resumed run can cut off the lines
// written after it (the steps it will redo).
class MetricsLog {
 public:
  MetricsLog() = default;  // closed: writes are dropped
  ~MetricsLog();
  MetricsLog(const MetricsLog&) = delete;
  MetricsLog& operator=(const MetricsLog&) = delete;

  // Opens `path` keeping its first `keepBytes` bytes (0: starts it empty).
  // Throws sigma::Error naming the file if it cannot, or if it is shorter
  // than keepBytes.
  void open(const std::string& path, int64_t keepBytes = 0);
  void write(const std::string& line);  // appends line + '\n'
  void flush();                         // to the OS: a crash loses nothing written
  int64_t bytes() const { return bytes_; }
  bool isOpen() const { return file_ != nullptr; }

 private:
  std::string path_;
  std::FILE* file_ = nullptr;
  int64_t bytes_ = 0;
};

}  // namespace sigma

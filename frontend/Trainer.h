// sigma::fit: the training loop around a compiled step.
//
//   auto [train, test] = loadFashionMnist();
//   TrainingStep step = compile(net, loss::cross_entropy(), optim::adam({.lr = 1e-3f}), {.batch = 128});
//   FitHistory h = fit(step, train, &test, {.epochs = 10, .outDir = "runs/fmnist"});
//
// Each epoch walks the training set in full batches (seeded shuffle, the
// partial batch dropped: runtime/Dataset.h), sets the learning rate from the
// schedule before every step, then evaluates the test set (Evaluator.h).
// With an output directory it writes metrics.jsonl (MetricsLog.h),
// importance.jsonl (Importance.h) and, at every epoch's end, checkpoint.sgck
// (TrainingState.h); `resume` continues
// from that checkpoint, and the run then produces the same numbers, bit for
// bit, as one that never stopped.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "frontend/Compile.h"
#include "frontend/Evaluator.h"
#include "frontend/Importance.h"
#include "frontend/Progress.h"
#include "frontend/Schedule.h"
#include "frontend/TrainingState.h"
#include "runtime/Dataset.h"

namespace sigma {

struct EpochResult {
  int64_t epoch = 0;    // from 1
  int64_t step = 0;     // steps run in total after this epoch
  double loss = 0;      // mean training loss (data + penalties) over the epoch's steps
  float lr = 0;         // the rate of the epoch's last step
  std::optional<EvalResult> test{};
  StepResult last{};    // the epoch's last step: its weight statistics
  // Each input feature's Σ|w| over the first layer after the epoch (the
  // trend of frontend/Importance.h); empty when the model has no first
  // layer over the input's features.
  std::optional<InputImportance> importance{};
  double seconds = 0;   // wall time of the epoch (training and evaluation); never logged
};

struct FitOptions {
  int64_t epochs = 1;
  uint64_t seed = 1;     // shuffling: epoch e's order depends on (seed, e) only
  bool shuffle = true;
  // The rate of each step is schedule.factor(progress) × the optimizer's lr.
  Schedule schedule{};
  int64_t logEvery = 0;  // a metrics line every N steps (0: epoch lines only)
  std::string outDir{};  // metrics.jsonl and checkpoint.sgck; empty: no files
  bool resume = false;   // continue from outDir/checkpoint.sgck
  // A checkpoint every N epochs and after the last (each is fsync'ed: on a
  // tiny data set like XOR, thousands of epochs a second would wait on disk).
  int64_t checkpointEvery = 1;
  // Evaluate on the test set after every N epochs and after the last; an
  // epoch without one has no `test` in its result (and in metrics.jsonl).
  // The evaluation is a forward pass over the whole test set: on W5's
  // Fashion-MNIST, about a twentieth of an epoch's time.
  int64_t evaluateEvery = 1;
  ProgressMode progress = ProgressMode::Auto;
  // Stop at the first step whose loss, weights or gradients hold a NaN or an
  // Inf, naming the step and the tensor (frontend/NonFiniteCheck.h: read off
  // the step's weight statistics, no extra pass), and never write a
  // checkpoint of non-finite parameters: the last good one stays. Off: train
  // on, logging non-finite values as null.
  bool stopOnNonFinite = true;
  // Run each epoch as the step's compiled training loop (TrainingStep::
  // runLoop): the batch gathers, the steps and their statistics in one
  // native call per epoch (per fiftieth of an epoch while a progress
  // display is on, per step while a tiered compile is still optimizing),
  // the same bits as stepping from the host. Steps
  // compiled without their loop (CompileOptions::trainingLoop) always step
  // from the host. With stopOnNonFinite, the epoch's starting state is kept
  // (a copy of the parameters and optimizer state), so that a stop leaves
  // the step exactly where stepping from the host would have.
  bool compiledLoop = true;
  // Called after each epoch, before its checkpoint is written: print, or
  // change the regularization for the next epoch (TrainingStep::setRegularizer).
  std::function<void(const EpochResult&)> onEpoch{};
};

struct FitHistory {
  int64_t firstEpoch = 1;  // > 1 when resumed
  std::vector<EpochResult> epochs;
};

// Trains `step` on `train` for options.epochs epochs (counting those a
// resumed checkpoint already did); evaluates on `test` when given, after
// every options.evaluateEvery epochs and after the last. Throws sigma::Error on data that does not fit the model, on
// checkpoint problems, and (with stopOnNonFinite) on the first NaN or Inf in
// the loss, a parameter or a gradient, naming the step and the tensor; the
// metrics log then holds every step before it and the checkpoint on disk is
// the last good one.
FitHistory fit(TrainingStep& step, const Dataset& train, const Dataset* test, const FitOptions& options);

// What fit does first when options.resume is set: loads outDir's checkpoint
// into `step` and checks it belongs to this run (optimizer, tensors, seed).
// Throws sigma::Error naming the file. Callers may use it to check a
// checkpoint before they print anything; fit restores it again.
TrainingProgress resumeTrainingState(TrainingStep& step, const FitOptions& options);

// The file names fit uses in FitOptions::outDir.
inline constexpr const char* kMetricsFile = "metrics.jsonl";
inline constexpr const char* kCheckpointFile = "checkpoint.sgck";

}  // namespace sigma

// A training run's state as a checkpoint (runtime/Checkpoint.h): every
// parameter and optimizer state buffer of the step, and the metadata that
// makes a resumed run continue exactly where the saved one stood:
//
//   kind           "sigma-training-state"
//   optimizer      the optimizer's name (resuming with another is an error)
//   step           steps run (Adam's bias correction continues from it)
//   epoch          epochs completed
//   seed           the shuffling seed (epoch e's order depends only on it and e)
//   lr             the learning rate of the last step (informational)
//   metrics_bytes  the size metrics.jsonl had: later lines are cut on resume
//   reg.P          "L1 L2": the current coefficients of regularized parameter P
//
// No generator state needs saving: parameters are initialized once, and
// every shuffle is a pure function of (seed, epoch).
#pragma once

#include <cstdint>
#include <string>

#include "frontend/Compile.h"
#include "runtime/Checkpoint.h"

namespace sigma {

struct TrainingProgress {
  int64_t epoch = 0;          // epochs completed
  uint64_t seed = 0;          // shuffling seed
  int64_t metricsBytes = 0;   // size of metrics.jsonl at the checkpoint
};

Checkpoint captureTrainingState(const TrainingStep& step, const TrainingProgress& progress);

// Restores `step` (parameters, state, step count, coefficients) and returns
// the progress. Throws sigma::Error naming `source` (the file) and the
// problem: another kind of checkpoint, another optimizer, a missing tensor
// or one of another shape.
TrainingProgress restoreTrainingState(TrainingStep& step, const Checkpoint& checkpoint, const std::string& source);

}  // namespace sigma

// Evaluation of a training step's model on a data set: loss and accuracy.
//
// Design: the step's forward graph (TrainingStep::forwardGraph) is compiled
// a second time on its own, with the data loss and the prediction as
// outputs and nothing else: no gradients, no updates, no statistics. It has
// its own arena; evaluate() copies the step's current parameters into it
// first (a memcpy per tensor, negligible next to the forward pass), so the
// evaluator never changes the training state. It runs at the step's batch
// size, since shapes are static.
//
// A data set whose size is not a multiple of the batch ends in a partial
// batch. Its empty rows are filled with copies of the batch's first row,
// and the step is run once more with every row that copy: the loss being a
// mean of per-row terms, Σ(valid rows) = B·mean(padded) − (B − n)·loss(row 0)
// recovers the exact sum for any loss, with no per-row loss in the graph.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "frontend/Compile.h"
#include "runtime/Dataset.h"

namespace sigma {

// How a data set's integer labels become the step's float targets.
enum class TargetEncoding {
  OneHot,  // target f32[batch, classes]: one-hot rows (classification)
  Label,   // target f32[batch] or f32[batch, 1]: the label as a number (XOR with mse)
};
// Decides from the step's target size per sample and the data set; throws
// sigma::Error naming both when neither fits, or when the input size differs.
TargetEncoding targetEncoding(const TrainingStep& step, const Dataset& data);
// Writes the targets of a batch whose labels are `labels` (`count` rows).
void encodeTargets(TargetEncoding encoding, const int32_t* labels, int64_t count, int64_t numClasses, float* target);

struct EvalResult {
  double loss = 0;      // mean data loss over the samples (no penalties)
  double accuracy = 0;  // fraction of samples whose predicted class is the label
  int64_t count = 0;    // samples evaluated
};

class Evaluator {
 public:
  explicit Evaluator(const TrainingStep& step);
  ~Evaluator();
  Evaluator(Evaluator&&) noexcept;

  // Copies `step`'s parameters in and evaluates every sample of `data` in order.
  EvalResult evaluate(const TrainingStep& step, const Dataset& data);
  int64_t batch() const { return batch_; }

 private:
  void runBatch();  // one forward pass; loss in *lossBuffer_

  std::unique_ptr<Executable> exec_;
  std::vector<std::string> parameters_;
  int64_t batch_ = 0, inputPerRow_ = 0, targetPerRow_ = 0, classes_ = 0;
  float threshold_ = 0;  // one-output models: class 1 when the prediction is above it
  float *x_ = nullptr, *target_ = nullptr;
  const float *loss_ = nullptr, *prediction_ = nullptr;
};

}  // namespace sigma

// TrainingStep's compiled training loop (passes/AddTrainingLoop.h): the
// host side of fit's one-native-call-per-epoch. The host fills what the
// loop reads per step (its feeds: the rate, the optimizer's step terms, the
// penalty coefficients) and binds the data set's tables; the compiled code
// gathers each batch, runs the step and writes each step's loss and
// statistics to the record, which loopResult() reads back.
#include <algorithm>

#include "frontend/Compile.h"
#include "ir/Error.h"

namespace sigma {

TrainingLoopSpec trainingLoopSpec(const TrainingGraphInfo& info, int64_t batch, int64_t inputSize, int64_t targetSize) {
  TrainingLoopSpec spec;
  spec.gathers = {{"x", "loop.features", batch, inputSize / batch}, {"target", "loop.targets", batch, targetSize / batch}};
  spec.feedNames = {"lr"};
  spec.feedNames.insert(spec.feedNames.end(), info.scalarInputs.begin(), info.scalarInputs.end());
  for (const auto& r : info.regularized) spec.feedNames.insert(spec.feedNames.end(), {r.parameter + ".l1", r.parameter + ".l2"});
  spec.recordNames = {"loss", "data_loss"};
  if (info.weightStats)
    for (const std::string& p : info.parameters)
      for (const char* stat : kWeightStatNames) spec.recordNames.push_back(p + "." + stat);
  return spec;
}

// What runInPlace writes before a step, in trainingLoopSpec's feed order;
// returns the number of values (without allocating for SGD's steps: W1's
// whole step costs about as much as one allocation).
int64_t TrainingStep::writeStepFeeds(float lr, int64_t step, float* out) const {
  float* p = out;
  *p++ = lr;
  if (!scalarBuffers_.empty())
    for (float v : optimizer_.stepInputs(step)) *p++ = v;
  for (const Regularizer& r : regs_) *p++ = r.l1, *p++ = r.l2;
  return p - out;
}

void TrainingStep::runLoop(const LoopBatches& batches, int64_t begin, int64_t end) {
  if (!hasTrainingLoop()) fail("TrainingStep::runLoop: the step was compiled without its training loop");
  if (begin < 0 || end < begin) fail("TrainingStep::runLoop: steps [{}, {}) are not a range", begin, end);
  const int64_t rowIn = inputSize_ / batch_, rowTarget = targetSize_ / batch_;
  const int64_t samples = int64_t(batches.features.size()) / rowIn;
  if (int64_t(batches.features.size()) != samples * rowIn || int64_t(batches.targets.size()) != samples * rowTarget)
    fail("TrainingStep::runLoop: {} feature values and {} target values are not the same number of samples of {} "
         "and {} values", batches.features.size(), batches.targets.size(), rowIn, rowTarget);
  if (int64_t(batches.order.size()) < end * batch_)
    fail("TrainingStep::runLoop: step {} needs {} sample indices, the order has {}", end - 1, end * batch_,
         batches.order.size());
  if (int64_t(batches.rates.size()) < end)
    fail("TrainingStep::runLoop: step {} needs a learning rate, there are {}", end - 1, batches.rates.size());
  // The compiled gather does no bounds checks: check the indices it will
  // use. A branch-free pass first (W1's step costs less than a branch per
  // index would): the largest index as unsigned, so that a negative one is
  // larger than any table, in four independent chains, since GCC's -O2
  // leaves this loop scalar and one chain of compare-and-move costs a cycle
  // or two an index.
  uint32_t largest[4] = {0, 0, 0, 0};
  const int64_t first = begin * batch_, last = end * batch_;
  int64_t k = first;
  for (; k + 4 <= last; k += 4)
    for (int lane = 0; lane < 4; ++lane)
      largest[lane] = std::max(largest[lane], uint32_t(batches.order[size_t(k + lane)]));
  for (; k < last; ++k) largest[0] = std::max(largest[0], uint32_t(batches.order[size_t(k)]));
  const uint64_t bound = std::min(uint64_t(samples), uint64_t(1) << 31);  // a negative i32 is at least 2^31
  if (std::max(std::max(largest[0], largest[1]), std::max(largest[2], largest[3])) >= bound)
    for (int64_t i = first; i < last; ++i)
      if (batches.order[size_t(i)] < 0 || batches.order[size_t(i)] >= samples)
        fail("TrainingStep::runLoop: order[{}] = {} is not a sample index (the tables hold {} samples)", i,
             batches.order[size_t(i)], samples);
  if (begin == end) return;

  // The rows the compiled loop reads and writes are the spec's widths: the
  // JIT checks no bounds, so the host must agree with them exactly.
  const int64_t feedWidth = loopFeedWidth_, recordWidth = loopRecordWidth_;
  if (1 + int64_t(scalarBuffers_.size() + 2 * regs_.size()) != feedWidth ||
      2 + int64_t(statBuffers_.size() * std::size(kWeightStatNames)) != recordWidth)
    fail("TrainingStep::runLoop: the step's feeds or record do not match its training loop (a Sigma bug)");
  loopFeeds_.resize(size_t(end * feedWidth));
  loopRecord_.resize(size_t(end * recordWidth));
  if (scalarBuffers_.empty()) {
    // Only the rate changes from step to step: the rest of the first row
    // is copied down, column by column (a row at a time, the compiler calls
    // memmove for a few floats every step).
    float* rows = &loopFeeds_[size_t(begin * feedWidth)];
    writeStepFeeds(0, stepCount_ + 1, rows);
    const int64_t steps = end - begin;
    for (int64_t column = 1; column < feedWidth; ++column)
      for (int64_t s = 1; s < steps; ++s) rows[s * feedWidth + column] = rows[column];
    for (int64_t s = 0; s < steps; ++s) rows[s * feedWidth] = batches.rates[size_t(begin + s)];
  } else {
    for (int64_t s = begin; s < end; ++s)
      writeStepFeeds(batches.rates[size_t(s)], stepCount_ + 1 + (s - begin), &loopFeeds_[size_t(s * feedWidth)]);
  }
  exec_->bind("loop.features", batches.features);
  exec_->bind("loop.targets", batches.targets);
  exec_->bind("loop.order", batches.order);
  exec_->bind("loop.feeds", std::span<const float>(loopFeeds_));
  exec_->bind("loop.record", std::span<float>(loopRecord_));
  exec_->runLoop(begin, end);
  stepCount_ += end - begin;
  lr_ = batches.rates[size_t(end - 1)];
  loopBegin_ = begin, loopEnd_ = end;
}

StepResult TrainingStep::loopResult(int64_t s) const {
  if (s < loopBegin_ || s >= loopEnd_)
    fail("TrainingStep::loopResult: step {} is not one of the last loop's [{}, {})", s, loopBegin_, loopEnd_);
  const float* row = &loopRecord_[size_t(s * loopRecordWidth_)];
  StepResult r;
  r.loss = row[0];
  r.data_loss = row[1];
  r.weights.reserve(statBuffers_.size());
  for (size_t p = 0; p < statBuffers_.size(); ++p) {
    const float* w = row + 2 + std::size(kWeightStatNames) * p;
    r.weights.push_back({info_.parameters[p], w[0], w[1], w[2], w[3], w[4], w[5]});
  }
  return r;
}

}  // namespace sigma

// In-memory data sets and the batching that feeds them to a compiled
// training step. Everything here is deterministic: the same seed gives the
// same shuffles and splits on every platform (sigma::Rng, no <random>).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace sigma {

struct Dataset {
  std::string name;
  int64_t count = 0;                 // number of samples
  std::vector<int64_t> sampleShape;  // shape of one sample, e.g. {28, 28}
  std::vector<float> features;       // count × sampleSize(), row-major
  std::vector<int32_t> labels;       // count, each in [0, numClasses)
  int64_t numClasses = 0;

  int64_t sampleSize() const;  // product of sampleShape (1 for a scalar sample)
  // Throws sigma::Error naming the data set if the sizes disagree or a label
  // is outside [0, numClasses).
  void validate() const;
};

// The 4 XOR samples {0,0} {0,1} {1,0} {1,1} with labels 0 1 1 0 (2 classes).
Dataset xorDataset();

// A permutation of [0, count): Fisher-Yates driven by sigma::Rng, seeded
// from (seed, epoch) so that each epoch gets an independent order.
std::vector<int64_t> shuffledOrder(int64_t count, uint64_t seed, int64_t epoch);

// The samples at `indices`, in that order, as a new data set.
Dataset subset(const Dataset& data, std::span<const int64_t> indices, std::string name);

// Shuffles (seeded) and splits off round(count × fraction) samples as a
// holdout set. Returns {rest, holdout}; each side keeps the original
// relative order of its samples. Throws if fraction is outside (0, 1) or
// either side would be empty.
std::pair<Dataset, Dataset> splitHoldout(const Dataset& data, double fraction, uint64_t seed);

// Copies the samples at `indices` into x (indices.size() × sampleSize()) and
// their labels into `labels` (indices.size()); either pointer may be null.
void gatherBatch(const Dataset& data, std::span<const int64_t> indices, float* x,
                 int32_t* labels);
// Writes one-hot targets (indices.size() × numClasses) for those samples.
void gatherOneHot(const Dataset& data, std::span<const int64_t> indices, float* onehot);

// What to do with the samples left over when count is not a multiple of the
// batch size.
enum class PartialBatch {
  // Training: the leftover samples are skipped this epoch (with shuffling,
  // different ones each epoch), so every step sees a full batch and the
  // gradient scale never changes.
  Drop,
  // Evaluation: the last batch is filled with the leftover samples and then
  // padded with zero rows (features 0, label 0, one-hot all zero); next()
  // returns how many rows are valid so metrics count only those.
  Pad,
};

// Walks a data set in fixed-size batches, shuffled or in order. It keeps a
// reference to the data set, which must outlive it.
//   BatchIterator it(train, 128, PartialBatch::Drop, /*shuffle=*/true, seed, epoch);
//   while (int64_t valid = it.next(x, labels, onehot)) step();
class BatchIterator {
 public:
  BatchIterator(const Dataset& data, int64_t batchSize, PartialBatch partial, bool shuffle = false,
                uint64_t seed = 0, int64_t epoch = 0);

  // Number of batches next() will produce in total.
  int64_t numBatches() const;
  int64_t batchSize() const { return batchSize_; }
  // Fills the next batch (x: batchSize × sampleSize, labels: batchSize,
  // onehot: batchSize × numClasses; any may be null) and returns the number
  // of valid rows, or 0 when the epoch is over.
  int64_t next(float* x, int32_t* labels, float* onehot = nullptr);
  // The sample indices of the batch most recently returned by next().
  std::span<const int64_t> lastIndices() const { return last_; }
  // Every sample index in the order next() walks them (batch b is
  // order()[b·batchSize ..]).
  std::span<const int64_t> order() const { return order_; }

 private:
  const Dataset& data_;
  int64_t batchSize_;
  PartialBatch partial_;
  std::vector<int64_t> order_;
  int64_t position_ = 0;
  std::span<const int64_t> last_;
};

}  // namespace sigma

#include "runtime/Dataset.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "ir/Error.h"
#include "runtime/Rng.h"

namespace sigma {

int64_t Dataset::sampleSize() const {
  int64_t n = 1;
  for (int64_t d : sampleShape) n *= d;
  return n;
}

void Dataset::validate() const {
  if (count < 0) fail("data set '{}': negative sample count {}", name, count);
  for (int64_t d : sampleShape)
    if (d <= 0) fail("data set '{}': sample dimension {} is not positive", name, d);
  if (int64_t(features.size()) != count * sampleSize())
    fail("data set '{}': {} feature values, expected {} samples × {} = {}", name, features.size(),
         count, sampleSize(), count * sampleSize());
  if (int64_t(labels.size()) != count)
    fail("data set '{}': {} labels for {} samples", name, labels.size(), count);
  for (int64_t i = 0; i < count; ++i)
    if (labels[i] < 0 || labels[i] >= numClasses)
      fail("data set '{}': label {} of sample {} is outside [0, {})", name, labels[i], i, numClasses);
}

Dataset xorDataset() {
  Dataset d;
  d.name = "xor";
  d.count = 4;
  d.sampleShape = {2};
  d.features = {0, 0, 0, 1, 1, 0, 1, 1};
  d.labels = {0, 1, 1, 0};
  d.numClasses = 2;
  return d;
}

std::vector<int64_t> shuffledOrder(int64_t count, uint64_t seed, int64_t epoch) {
  if (count < 0) fail("shuffledOrder: negative count {}", count);
  // Mix the epoch into the seed through one generator step, so that nearby
  // (seed, epoch) pairs give unrelated streams.
  Rng mixer(seed ^ (uint64_t(epoch) * 0xD1B54A32D192ED03ull));
  Rng rng(mixer.next());
  std::vector<int64_t> order(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) order[size_t(i)] = i;
  for (int64_t i = count - 1; i > 0; --i) {
    // below() is a modulo: its bias for n ≪ 2^64 is far below anything a
    // shuffle can show, and it is exactly reproducible everywhere.
    int64_t j = int64_t(rng.below(uint64_t(i) + 1));
    std::swap(order[size_t(i)], order[size_t(j)]);
  }
  return order;
}

Dataset subset(const Dataset& data, std::span<const int64_t> indices, std::string name) {
  Dataset out;
  out.name = std::move(name);
  out.count = int64_t(indices.size());
  out.sampleShape = data.sampleShape;
  out.numClasses = data.numClasses;
  out.features.resize(size_t(out.count * data.sampleSize()));
  out.labels.resize(size_t(out.count));
  gatherBatch(data, indices, out.features.data(), out.labels.data());
  return out;
}

std::pair<Dataset, Dataset> splitHoldout(const Dataset& data, double fraction, uint64_t seed) {
  if (!(fraction > 0.0 && fraction < 1.0))
    fail("splitHoldout of '{}': fraction {} is outside (0, 1)", data.name, fraction);
  int64_t held = int64_t(std::llround(double(data.count) * fraction));
  if (held <= 0 || held >= data.count)
    fail("splitHoldout of '{}': a fraction of {} of {} samples leaves {} for training and {} "
         "held out; both must be non-empty",
         data.name, fraction, data.count, data.count - held, held);
  // A dedicated epoch value keeps this shuffle apart from the per-epoch
  // training shuffles drawn from the same seed.
  std::vector<int64_t> order = shuffledOrder(data.count, seed, -1);
  std::vector<int64_t> holdout(order.begin(), order.begin() + held);
  std::vector<int64_t> rest(order.begin() + held, order.end());
  // Sorting keeps each side in the original order, which makes the parts
  // easy to compare with the source and independent of later shuffles.
  std::sort(holdout.begin(), holdout.end());
  std::sort(rest.begin(), rest.end());
  return {subset(data, rest, data.name + "-train"), subset(data, holdout, data.name + "-holdout")};
}

static void checkIndex(const Dataset& data, int64_t index) {
  if (index < 0 || index >= data.count)
    fail("data set '{}': sample index {} is outside [0, {})", data.name, index, data.count);
}

void gatherBatch(const Dataset& data, std::span<const int64_t> indices, float* x,
                 int32_t* labels) {
  const int64_t size = data.sampleSize();
  for (size_t r = 0; r < indices.size(); ++r) {
    int64_t i = indices[r];
    checkIndex(data, i);
    if (x) std::memcpy(x + int64_t(r) * size, data.features.data() + i * size, size_t(size) * sizeof(float));
    if (labels) labels[r] = data.labels[size_t(i)];
  }
}

void gatherOneHot(const Dataset& data, std::span<const int64_t> indices, float* onehot) {
  const int64_t k = data.numClasses;
  std::fill(onehot, onehot + int64_t(indices.size()) * k, 0.0f);
  for (size_t r = 0; r < indices.size(); ++r) {
    checkIndex(data, indices[r]);
    int32_t label = data.labels[size_t(indices[r])];
    if (label < 0 || label >= k)
      fail("data set '{}': label {} of sample {} is outside [0, {})", data.name, label, indices[r], k);
    onehot[int64_t(r) * k + label] = 1.0f;
  }
}

BatchIterator::BatchIterator(const Dataset& data, int64_t batchSize, PartialBatch partial,
                             bool shuffle, uint64_t seed, int64_t epoch)
    : data_(data), batchSize_(batchSize), partial_(partial) {
  if (batchSize <= 0) fail("BatchIterator over '{}': batch size {} is not positive", data.name, batchSize);
  if (partial == PartialBatch::Drop && data.count < batchSize)
    fail("BatchIterator over '{}': {} samples do not fill one batch of {} (the partial batch is "
         "dropped for training, so no step would run)",
         data.name, data.count, batchSize);
  if (shuffle) {
    order_ = shuffledOrder(data.count, seed, epoch);
  } else {
    order_.resize(size_t(data.count));
    for (int64_t i = 0; i < data.count; ++i) order_[size_t(i)] = i;
  }
}

int64_t BatchIterator::numBatches() const {
  int64_t n = int64_t(order_.size());
  return partial_ == PartialBatch::Drop ? n / batchSize_ : (n + batchSize_ - 1) / batchSize_;
}

int64_t BatchIterator::next(float* x, int32_t* labels, float* onehot) {
  const int64_t total = int64_t(order_.size());
  int64_t valid = std::min(batchSize_, total - position_);
  if (valid <= 0 || (valid < batchSize_ && partial_ == PartialBatch::Drop)) {
    last_ = {};
    return 0;
  }
  last_ = std::span<const int64_t>(order_).subspan(size_t(position_), size_t(valid));
  position_ += valid;
  gatherBatch(data_, last_, x, labels);
  if (onehot) gatherOneHot(data_, last_, onehot);
  // Zero the padding rows so stale values from the previous batch never
  // reach a metric or a loss.
  const int64_t pad = batchSize_ - valid, size = data_.sampleSize(), k = data_.numClasses;
  if (pad > 0) {
    if (x) std::fill(x + valid * size, x + batchSize_ * size, 0.0f);
    if (labels) std::fill(labels + valid, labels + batchSize_, 0);
    if (onehot) std::fill(onehot + valid * k, onehot + batchSize_ * k, 0.0f);
  }
  return valid;
}

}  // namespace sigma

// Which input features a trained network uses, read off its weights.
//
// The article Sigma comes from notes that weight sums say which inputs
// matter: a feature whose first-layer weights are all small barely reaches
// the rest of the network, and L1 regularization drives the weights of
// useless features to zero. The importance of input feature i is
//
//   importance[i] = Σ_o |W[o, i]|        W: the first layer's [out, in] weight (PyTorch layout)
//
// For Fashion-MNIST, the 784 values drawn as a 28×28 image show which
// pixels the classifier looks at (`sigma report` draws that heat map).
// It is computed from the weights at one moment: the report uses the run's
// final checkpoint; a trend over training needs the weights at several
// steps (metrics.jsonl holds per-tensor sums, not per-column ones).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "runtime/Checkpoint.h"

namespace sigma {

class TrainingStep;

// Per input column, Σ over rows of |W[o, i]|, W row-major [out, in]; summed
// in double in row order (deterministic), returned as float. Throws
// sigma::Error when the span does not hold out × in values.
std::vector<float> inputImportance(std::span<const float> firstLayerWeight, int64_t out, int64_t in);

struct InputImportance {
  std::string layer;  // the weight it was computed from, e.g. "fc1.weight"
  int64_t outFeatures = 0, inFeatures = 0;
  std::vector<float> values;  // inFeatures values
};

// From a checkpoint (runtime/Checkpoint.h): the first 2-D tensor in saving
// order, which for a TrainingStep's checkpoint is the first layer's weight
// (parameters are saved in declaration order, optimizer state after them).
// Throws sigma::Error naming `source` when there is no 2-D tensor.
InputImportance inputImportance(const Checkpoint& checkpoint, const std::string& source = "checkpoint");

// From a compiled step's current weights: the first 2-D parameter whose
// columns match the input's features.
InputImportance inputImportance(const TrainingStep& step);

}  // namespace sigma

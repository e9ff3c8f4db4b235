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
// It is computed from the weights at one moment. For the trend over
// training, fit records it after every epoch (EpochResult::importance) and,
// with an output directory, appends it to importance.jsonl, one line per
// epoch:
//
//   {"epoch":3,"step":1407,"layer":"fc1.weight","out":512,"in":784,"values":[0.91,...]}
//
// (per-column sums are not in metrics.jsonl, which holds per-tensor ones).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <optional>

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
// columns match the input's features. Throws sigma::Error when there is none.
InputImportance inputImportance(const TrainingStep& step);
// The same, or nothing when the step has no such first layer.
std::optional<InputImportance> tryInputImportance(const TrainingStep& step);

// ---- the trend: importance.jsonl

struct ImportanceSnapshot {
  int64_t epoch = 0, step = 0;  // after this epoch (from 1), this many steps
  InputImportance importance;
};

// One line of importance.jsonl (no newline); values in shortest round-trip form.
std::string importanceLine(int64_t epoch, int64_t step, const InputImportance& importance);
// Parses importance.jsonl. Throws sigma::Error "FILE:LINE: error: ..." for a
// line that is not JSON or lacks a field; a last line cut short (a run killed
// while writing) is dropped.
std::vector<ImportanceSnapshot> parseImportanceLog(std::string_view text, const std::string& filename);
// The bytes of the file's lines up to and including epoch `epoch`: what a
// run resumed after that epoch keeps. 0 if the file does not exist.
int64_t importanceLogBytesThrough(const std::string& path, int64_t epoch);

inline constexpr const char* kImportanceFile = "importance.jsonl";

}  // namespace sigma

// Losses: the data loss of a training step, a mean over the batch.
//
// Every loss takes the network's output (`prediction`) and a target input of
// the type targetType() gives. For classification the target is one-hot:
// the data pipeline encodes each integer label as a row of f32 with 1.0 at
// the label's class and 0.0 elsewhere (soft labels work too: any rows of
// probabilities), so the training step itself never handles integers.
#pragma once

#include <string>

#include "frontend/Tensor.h"

namespace sigma {

struct Loss {
  enum class Kind { MSE, CrossEntropy, BCEWithLogits };
  Kind kind = Kind::MSE;

  // The scalar loss of `prediction` against `target`.
  Tensor operator()(Tensor prediction, Tensor target) const;
  // The shape (and type) the target input must have for a prediction shape:
  // the prediction's own type for every loss (one-hot rows for cross_entropy).
  TensorType targetType(const TensorType& prediction) const;
  std::string str() const;  // "mse", "cross_entropy", "bce_with_logits"
};

namespace loss {
// mean((prediction - target)²) over every element (PyTorch's MSELoss default).
inline Loss mse() { return {Loss::Kind::MSE}; }
// Softmax cross-entropy of logits [B, C] against one-hot targets [B, C]:
// mean over the batch of -Σ_c target·log_softmax(logits), computed stably
// (PyTorch's CrossEntropyLoss with class-index targets, mean reduction).
// The prediction is the raw logits: no softmax layer before it.
inline Loss cross_entropy() { return {Loss::Kind::CrossEntropy}; }
// Binary cross-entropy on logits, targets in [0, 1] of the logits' shape:
// mean over every element of max(x,0) - x·t + log(1 + exp(-|x|))
// (PyTorch's BCEWithLogitsLoss). No sigmoid layer before it.
inline Loss bce_with_logits() { return {Loss::Kind::BCEWithLogits}; }
}  // namespace loss

}  // namespace sigma

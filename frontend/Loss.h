// Losses: the data loss of a training step, a mean over the batch.
#pragma once

#include <string>

#include "frontend/Tensor.h"

namespace sigma {

struct Loss {
  enum class Kind { MSE };
  Kind kind = Kind::MSE;

  // The scalar loss of `prediction` against `target`.
  Tensor operator()(Tensor prediction, Tensor target) const;
  // The shape (and type) the target input must have for a prediction shape.
  TensorType targetType(const TensorType& prediction) const;
  std::string str() const;
};

namespace loss {
// mean((prediction - target)²) over every element (PyTorch's MSELoss default).
inline Loss mse() { return {Loss::Kind::MSE}; }
}  // namespace loss

}  // namespace sigma

// Optimizers, expressed as graph ops: given a parameter and its full gradient
// (data + penalties), an optimizer adds the nodes computing the parameter's
// new value (and its state's) to the training-step graph.
#pragma once

#include <string>

#include "frontend/Tensor.h"

namespace sigma {

struct SgdOptions {
  float lr = 0.01f;
};

struct Optimizer {
  enum class Kind { SGD };
  Kind kind = Kind::SGD;
  float lr = 0.01f;

  // The new value of parameter `w` with gradient `g`. `lr` is the step's
  // learning rate, a scalar input of the training step (so that schedules
  // need no recompilation).
  Tensor update(Tensor w, Tensor g, Tensor lr) const;
  std::string str() const;
};

namespace optim {
inline Optimizer sgd(SgdOptions o = {}) { return {Optimizer::Kind::SGD, o.lr}; }
}  // namespace optim

}  // namespace sigma

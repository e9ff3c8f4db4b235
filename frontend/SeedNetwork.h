// The seed network (workload W1 of the brief): a 2-3-1 MLP with a tanh
// hidden layer and a linear output, L1 1e-4 + L2 1e-4 on both weight
// matrices, trained with MSE and SGD (lr 0.1) on the four XOR samples.
// `sigma train` with no arguments trains it; examples and tests share it.
#pragma once

#include <array>

#include "frontend/Compile.h"

namespace sigma {

nn::Sequential seedNetwork();
inline Loss seedLoss() { return loss::mse(); }
inline Optimizer seedOptimizer() { return optim::sgd({.lr = 0.1f}); }

// The XOR batch: inputs (4×2, row-major) and targets (4×1).
struct XorBatch {
  std::array<float, 8> x{0, 0, 0, 1, 1, 0, 1, 1};
  std::array<float, 4> y{0, 1, 1, 0};
};

}  // namespace sigma

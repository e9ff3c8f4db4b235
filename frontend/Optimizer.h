// Optimizers, expressed as graph ops: given a parameter and its full gradient
// (data + penalties), an optimizer adds the nodes computing the parameter's
// new value, and its state's, to the training-step graph.
//
// Conventions (PyTorch's, docs/training.md), with g the full gradient:
//   sgd        w ← w − lr·g
//   momentum   v ← μ·v + g;  w ← w − lr·v
//   nesterov   v ← μ·v + g;  w ← w − lr·(g + μ·v)
//   adam       m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²
//              w ← w − (lr/bc1)·m / (sqrt(v)/sqrt(bc2) + ε),  bc1 = 1−β1^t, bc2 = 1−β2^t
//              (PyTorch's order of operations, with the two scalar divisions
//              taken once per step on the host: see scalarInputs)
//   adamw      adam's step, plus the decoupled decay w ← w − lr·wd·w on the
//              weights (parameters of rank ≥ 2; biases are not decayed), which
//              never enters the gradient, the moments or the loss.
//
// State buffers are extra parameters of the step named after the parameter
// (`fc1.weight.m`, `fc1.weight.v`), zero-initialized, saved in checkpoints,
// never regularized or reported as weights. Everything that changes from step
// to step is a scalar input computed on the host (Optimizer::stepInputs): the
// learning rate `lr`, and Adam's bias corrections `adam.inv_bc1`,
// `adam.inv_sqrt_bc2` from the step counter, so schedules and restarts need
// no recompilation.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "frontend/Tensor.h"

namespace sigma {

struct SgdOptions {
  float lr = 0.01f;
};
struct MomentumOptions {
  float lr = 0.01f;
  float momentum = 0.9f;
};
struct AdamOptions {
  float lr = 1e-3f;
  float beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;
};
struct AdamWOptions {
  float lr = 1e-3f;
  float beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;
  float weight_decay = 1e-2f;  // PyTorch's AdamW default
};

// The nodes an optimizer adds for one parameter: its new value, and the new
// value of each state buffer (in stateSuffixes() order).
struct ParameterUpdate {
  Tensor value;
  std::vector<Tensor> state;
};

struct Optimizer {
  enum class Kind { SGD, Momentum, Nesterov, Adam, AdamW };
  Kind kind = Kind::SGD;
  float lr = 0.01f;  // the base learning rate (a schedule scales it per step)
  float momentum = 0;
  float beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;
  float weightDecay = 0;  // AdamW only

  // The state buffers per parameter: {} for sgd, {"m"} for momentum and
  // nesterov (the velocity), {"m", "v"} for adam and adamw.
  std::vector<std::string> stateSuffixes() const;
  // The scalar inputs the update reads besides `lr`: {"adam.inv_bc1",
  // "adam.inv_sqrt_bc2"} (1/bc1 and 1/sqrt(bc2)) or {}. Reciprocals, so that
  // the per-element update has one division and one square root: dividing
  // by bc1 and bc2 per element made the divider Adam's bottleneck (W5).
  std::vector<std::string> scalarInputs() const;
  // Their values for the step numbered `step` (1 for the first step), in
  // scalarInputs() order; computed in double and rounded once.
  std::vector<float> stepInputs(int64_t step) const;

  // The update of parameter `w` with full gradient `g` and state `state`
  // (one tensor per stateSuffixes() entry). `lr` and `scalars` (one per
  // scalarInputs() entry) are the step's scalar inputs.
  ParameterUpdate update(Tensor w, Tensor g, const std::vector<Tensor>& state, Tensor lr,
                         const std::vector<Tensor>& scalars) const;

  std::string name() const;  // "sgd", "momentum", ...
  std::string str() const;   // "adam(lr=0.001, beta1=0.9, beta2=0.999, eps=1e-08)"
};

namespace optim {
inline Optimizer sgd(SgdOptions o = {}) { return {.kind = Optimizer::Kind::SGD, .lr = o.lr}; }
inline Optimizer momentum(MomentumOptions o = {}) {
  return {.kind = Optimizer::Kind::Momentum, .lr = o.lr, .momentum = o.momentum};
}
inline Optimizer nesterov(MomentumOptions o = {}) {
  return {.kind = Optimizer::Kind::Nesterov, .lr = o.lr, .momentum = o.momentum};
}
inline Optimizer adam(AdamOptions o = {}) {
  return {.kind = Optimizer::Kind::Adam, .lr = o.lr, .beta1 = o.beta1, .beta2 = o.beta2, .eps = o.eps};
}
inline Optimizer adamw(AdamWOptions o = {}) {
  return {.kind = Optimizer::Kind::AdamW, .lr = o.lr, .beta1 = o.beta1, .beta2 = o.beta2, .eps = o.eps,
          .weightDecay = o.weight_decay};
}
}  // namespace optim

}  // namespace sigma

#include "frontend/Optimizer.h"

#include <cmath>

#include <fmt/format.h>

#include "ir/Error.h"

namespace sigma {

namespace {
// Adam's √v̂: the sqrt op, correctly rounded like sqrtf and vectorizable.
Tensor sqrtOf(Tensor x) { return sqrt(x); }
}  // namespace

std::vector<std::string> Optimizer::stateSuffixes() const {
  switch (kind) {
    case Kind::SGD: return {};
    case Kind::Momentum:
    case Kind::Nesterov: return {"m"};
    case Kind::Adam:
    case Kind::AdamW: return {"m", "v"};
  }
  return {};
}

std::vector<std::string> Optimizer::scalarInputs() const {
  if (kind == Kind::Adam || kind == Kind::AdamW) return {"adam.inv_bc1", "adam.inv_sqrt_bc2"};
  return {};
}

std::vector<float> Optimizer::stepInputs(int64_t step) const {
  if (kind != Kind::Adam && kind != Kind::AdamW) return {};
  if (step < 1) fail("optimizer {}: steps are numbered from 1, got {}", name(), step);
  // 1 − β^t in double: for β2 = 0.999 and small t the float form would lose
  // most of its digits to cancellation.
  const double bc1 = 1.0 - std::pow(double(beta1), double(step)), bc2 = 1.0 - std::pow(double(beta2), double(step));
  return {float(1.0 / bc1), float(1.0 / std::sqrt(bc2))};
}

ParameterUpdate Optimizer::update(Tensor w, Tensor g, const std::vector<Tensor>& state, Tensor lr,
                                  const std::vector<Tensor>& scalars) const {
  if (state.size() != stateSuffixes().size() || scalars.size() != scalarInputs().size())
    fail("optimizer {}: update of %{} got {} state tensors and {} scalars", name(), w.node()->name, state.size(),
         scalars.size());
  switch (kind) {
    case Kind::SGD: return {w - lr * g, {}};
    case Kind::Momentum: {
      Tensor v = momentum * state[0] + g;
      return {w - lr * v, {v}};
    }
    case Kind::Nesterov: {
      Tensor v = momentum * state[0] + g;
      return {w - lr * (g + momentum * v), {v}};
    }
    case Kind::Adam:
    case Kind::AdamW: {
      Tensor m = beta1 * state[0] + (1.0f - beta1) * g;
      Tensor v = beta2 * state[1] + (1.0f - beta2) * square(g);
      // (lr/bc1)·m / (√v/√bc2 + ε): √v̂ = √v/√bc2 exactly, in real numbers.
      Tensor step = (lr * scalars[0]) * (m / (sqrtOf(v) * scalars[1] + eps));
      // Decoupled decay acts on the weights only, outside the gradient.
      if (kind == Kind::AdamW && weightDecay != 0 && w.shape().size() >= 2)
        return {(w - (lr * weightDecay) * w) - step, {m, v}};
      return {w - step, {m, v}};
    }
  }
  fail("optimizer: unknown kind {}", int(kind));
}

std::string Optimizer::name() const {
  switch (kind) {
    case Kind::SGD: return "sgd";
    case Kind::Momentum: return "momentum";
    case Kind::Nesterov: return "nesterov";
    case Kind::Adam: return "adam";
    case Kind::AdamW: return "adamw";
  }
  return "?";
}

std::string Optimizer::str() const {
  switch (kind) {
    case Kind::SGD: return fmt::format("sgd(lr={})", lr);
    case Kind::Momentum:
    case Kind::Nesterov: return fmt::format("{}(lr={}, momentum={})", name(), lr, momentum);
    case Kind::Adam: return fmt::format("adam(lr={}, beta1={}, beta2={}, eps={})", lr, beta1, beta2, eps);
    case Kind::AdamW:
      return fmt::format("adamw(lr={}, beta1={}, beta2={}, eps={}, weight_decay={})", lr, beta1, beta2, eps,
                         weightDecay);
  }
  return "?";
}

}  // namespace sigma

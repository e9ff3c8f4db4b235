// Weight regularizers, attached to parameters (Keras kernel_regularizer style).
//
// Semantics (BRIEF §2, docs/semantics.md): L1(λ) adds λ·Σ|w| to the loss and
// λ·sign(w) to the gradient, with sign(0) = 0; L2(λ) adds λ·Σw² (the Keras
// convention) and 2λ·w to the gradient, so PyTorch's weight_decay=wd is
// L2 with λ = wd/2. Elastic net is their sum: reg::l1(a) + reg::l2(b).
#pragma once

#include <string>

#include <fmt/format.h>

namespace sigma {

struct Regularizer {
  float l1 = 0, l2 = 0;

  bool empty() const { return l1 == 0 && l2 == 0; }
  Regularizer operator+(const Regularizer& o) const { return {l1 + o.l1, l2 + o.l2}; }
  std::string str() const {
    if (empty()) return "none";
    if (l2 == 0) return fmt::format("l1({})", l1);
    if (l1 == 0) return fmt::format("l2({})", l2);
    return fmt::format("l1({}) + l2({})", l1, l2);
  }
};

namespace reg {
inline Regularizer none() { return {}; }
inline Regularizer l1(float lambda) { return {lambda, 0}; }
inline Regularizer l2(float lambda) { return {0, lambda}; }
inline Regularizer elastic_net(float l1, float l2) { return {l1, l2}; }
}  // namespace reg

}  // namespace sigma

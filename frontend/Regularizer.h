// Weight regularizers, attached to parameters (Keras kernel_regularizer style)
// by a layer, or to groups of parameters by name (RegularizerRule).
//
// Semantics (BRIEF §2, docs/training.md): L1(λ) adds λ·Σ|w| to the loss and
// λ·sign(w) to the gradient, with sign(0) = 0; L2(λ) adds λ·Σw² (the Keras
// convention) and 2λ·w to the gradient, so PyTorch's weight_decay=wd is
// L2 with λ = wd/2. Elastic net is their sum: reg::l1(a) + reg::l2(b).
//
// Proximal L1 (reg::proximal_l1) keeps λ·Σ|w| in the loss but leaves it out
// of the gradient; instead, after the optimizer's step, every weight is
// soft-thresholded: w ← sign(w)·max(|w| − lr·λ, 0). Weights that would
// cross zero land exactly on it, which plain L1 (a subgradient) never does.
//
// The coefficients are not baked into the compiled step: each regularized
// parameter P gets scalar inputs P.l1 and P.l2, so TrainingStep::setRegularizer
// changes them between steps without recompiling. Which parameters are
// regularized, and whether L1 is proximal, is fixed at compile time.
#pragma once

#include <string>
#include <vector>

#include <fmt/format.h>

namespace sigma {

struct Regularizer {
  float l1 = 0, l2 = 0;
  bool proximal = false;  // L1 as soft-thresholding after the step

  bool empty() const { return l1 == 0 && l2 == 0; }
  // Coefficients add; the sum is proximal if either side is.
  Regularizer operator+(const Regularizer& o) const { return {l1 + o.l1, l2 + o.l2, proximal || o.proximal}; }
  bool operator==(const Regularizer&) const = default;
  std::string str() const {
    if (empty()) return "none";
    std::string a = proximal ? fmt::format("proximal_l1({})", l1) : fmt::format("l1({})", l1);
    std::string b = fmt::format("l2({})", l2);
    if (l2 == 0) return a;
    if (l1 == 0) return b;
    return a + " + " + b;
  }
};

namespace reg {
inline Regularizer none() { return {}; }
inline Regularizer l1(float lambda) { return {lambda, 0}; }
inline Regularizer l2(float lambda) { return {0, lambda}; }
inline Regularizer elastic_net(float l1, float l2) { return {l1, l2}; }
inline Regularizer proximal_l1(float lambda) { return {lambda, 0, true}; }
}  // namespace reg

// Regularizes a group of parameters chosen by name: `pattern` is a glob
// where '*' matches any run of characters ("*", "fc*.weight", "fc1.*").
// Rules are applied in order after the layers' own regularizers, and the
// last matching rule wins. Like layer regularizers, a rule skips 1-D and
// scalar parameters (biases, scales) unless includeVectors is set.
struct RegularizerRule {
  std::string pattern = "*";
  Regularizer reg;
  bool includeVectors = false;
};

// True if `name` matches the glob `pattern` ('*' only).
inline bool globMatch(std::string_view pattern, std::string_view name) {
  size_t star = pattern.find('*');
  if (star == std::string_view::npos) return pattern == name;
  std::string_view head = pattern.substr(0, star), rest = pattern.substr(star + 1);
  if (name.substr(0, head.size()) != head) return false;
  for (size_t i = head.size(); i <= name.size(); ++i)
    if (globMatch(rest, name.substr(i))) return true;
  return false;
}

}  // namespace sigma

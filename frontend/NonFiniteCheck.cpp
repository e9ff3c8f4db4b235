#include "frontend/NonFiniteCheck.h"

#include <cmath>

#include <fmt/format.h>

namespace sigma {

std::optional<std::string> findNonFinite(const StepResult& r) {
  for (const WeightStats& w : r.weights) {
    // Σ|w| alone decides; Σw² and max|w| say the same or overflow later.
    if (!std::isfinite(w.abs_sum)) return fmt::format("the parameter {} (Σ|w| = {})", w.name, w.abs_sum);
    if (!std::isfinite(w.sq_sum)) return fmt::format("the parameter {} (Σw² = {})", w.name, w.sq_sum);
  }
  for (const WeightStats& w : r.weights)
    if (!std::isfinite(w.grad_sq_sum)) return fmt::format("the gradient of {} (Σg² = {})", w.name, w.grad_sq_sum);
  if (!std::isfinite(r.loss)) return fmt::format("the loss ({})", r.loss);
  return std::nullopt;
}

std::optional<std::string> findNonFiniteElement(const std::string& name, std::span<const float> values) {
  for (size_t i = 0; i < values.size(); ++i)
    if (!std::isfinite(values[i])) return fmt::format("{}[{}] = {}", name, i, values[i]);
  return std::nullopt;
}

}  // namespace sigma

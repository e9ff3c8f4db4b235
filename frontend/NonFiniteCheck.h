// Stopping at the first NaN or Inf, for free. The weight statistics of every
// step (computed in the fused update's one pass over each weight) already
// say whether a tensor holds a non-finite value: Σ|w| is finite exactly when
// every |w| is finite and the sum does not overflow, and the gradient's Σg²
// likewise. So checking a step costs a few comparisons on its StepResult,
// never a pass over memory.
#pragma once

#include <optional>
#include <span>
#include <string>

#include "frontend/Compile.h"

namespace sigma {

// What is not finite in a step's result, in the order one causes the next:
// a parameter the step used ("the parameter fc1.weight (Σ|w| = inf)"), then
// a gradient ("the gradient of fc2.bias (Σg² = nan)"), then the loss. Empty
// when everything is finite.
std::optional<std::string> findNonFinite(const StepResult& result);

// A scan of one tensor (for checkpoints, once per save): the index and value
// of its first non-finite element, as "fc1.weight[17] = nan"; empty if none.
std::optional<std::string> findNonFiniteElement(const std::string& name, std::span<const float> values);

}  // namespace sigma

// Builds one training step as a single graph: forward, data loss, penalties,
// backward (passes/Autodiff.h), optimizer updates and weight statistics.
//
// Inputs of the step: the model's inputs, `target`, and `lr` (f32[]).
// Outputs: `loss` (data loss + penalties, BRIEF §2), `data_loss`, and per
// parameter P: `P.sum`, `P.abs_sum`, `P.sq_sum`, `P.max_abs`, `P.zeros`,
// `P.grad_sq_sum`, all on the weights the step used (before its update);
// grad_sq_sum is Σg² of the full gradient the optimizer applied.
// Updates: every parameter, by the optimizer.
#pragma once

#include <string>
#include <vector>

#include "frontend/GraphBuilder.h"
#include "frontend/Loss.h"
#include "frontend/Optimizer.h"

namespace sigma {

// The statistics computed per parameter, in output order.
inline constexpr const char* kWeightStatNames[] = {"sum", "abs_sum", "sq_sum", "max_abs", "zeros", "grad_sq_sum"};

void buildTrainingStep(GraphBuilder& builder, Tensor prediction, const Loss& loss, const Optimizer& optimizer);

}  // namespace sigma

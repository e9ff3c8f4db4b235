// Builds one training step as a single graph: forward, data loss, penalties,
// backward (passes/Autodiff.h), optimizer updates and weight statistics.
//
// Inputs of the step: the model's inputs, `target`, `lr` (f32[]), the
// optimizer's scalars (Optimizer::scalarInputs, e.g. `adam.inv_bc1`), and per
// regularized parameter P the coefficients `P.l1`, `P.l2` (f32[]).
// Outputs: `loss` (data loss + penalties, BRIEF §2), `data_loss`, and per
// parameter P: `P.sum`, `P.abs_sum`, `P.sq_sum`, `P.max_abs`, `P.zeros`,
// `P.grad_sq_sum`, all on the weights the step used (before its update);
// grad_sq_sum is Σg² of the full gradient the optimizer applied (with
// proximal L1, the L1 part is applied after the step, not in g).
// Updates: every parameter, by the optimizer (then soft-thresholded for
// proximal L1), and each optimizer state buffer `P.m`, `P.v`, ...
#pragma once

#include <string>
#include <vector>

#include "frontend/GraphBuilder.h"
#include "frontend/Loss.h"
#include "frontend/Optimizer.h"

namespace sigma {

// The statistics computed per parameter, in output order.
inline constexpr const char* kWeightStatNames[] = {"sum", "abs_sum", "sq_sum", "max_abs", "zeros", "grad_sq_sum"};

// What buildTrainingStep added, for TrainingStep to feed and read.
struct TrainingGraphInfo {
  struct Regularized {
    std::string parameter;  // its coefficients are the inputs parameter.l1, parameter.l2
    Regularizer reg;        // the initial coefficients
  };
  std::vector<std::string> parameters;    // the model's, in declaration order
  std::vector<std::string> state;         // optimizer state buffers, zero-initialized
  std::vector<Regularized> regularized;
  std::vector<std::string> scalarInputs;  // the optimizer's, besides lr
  bool weightStats = true;                // the P.sum, ... outputs exist
};

// The regularizer of a parameter: its layer's, then the last matching rule
// (rules skip parameters of rank < 2 unless they include vectors).
Regularizer effectiveRegularizer(const ParameterSpec& spec, const Shape& shape,
                                 const std::vector<RegularizerRule>& rules);

// weightStats = false leaves the per-parameter statistics out (only to
// measure what they cost: sigma-bench's W2 family).
TrainingGraphInfo buildTrainingStep(GraphBuilder& builder, Tensor prediction, const Loss& loss,
                                    const Optimizer& optimizer, const std::vector<RegularizerRule>& rules = {},
                                    bool weightStats = true);

}  // namespace sigma

// Fused weight-sum regularization: Sigma's signature pass.
//
// After lowering, each parameter W is read by many small loops: the penalty
// sums Σ|w| and Σw², the statistics Σw, max|w|, the zero count, the penalty
// gradients λ1·sign(w) + 2λ2·w added to the data gradient, its Σg², the
// optimizer's update of W and its state. Once elementwise producers are
// inlined (fuse-elementwise), this pass gathers every kernel that loops over
// W's elements and touches W into one kernel, @weight_update_W, and merges
// their loops: W, its gradient and the optimizer state are read once and
// written once, and the penalties, their gradients, the update and all the
// statistics come out of that single pass. The numbers are exactly those of
// the unfused pipeline: each loop body runs the same operations, point by
// point, in the same order (see passes/LoopFusion.h for the legality rule).
#pragma once

#include <string>
#include <vector>

#include "ir/LoopIR.h"

namespace sigma {

void fuseWeightSumRegularization(loop::Module& module, std::vector<std::string>& remarks);

}  // namespace sigma

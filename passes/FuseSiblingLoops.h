// Multi-output loop fusion ("fuse-loops"): two kernels that loop over the
// same space and read a common buffer (sibling reductions such as Σx and
// max x), or where one consumes the other's output point by point, become
// one kernel with one loop nest, so the shared buffer is read once. Each
// merge is kept only if the loops really merge (fewer passes over memory);
// each decision is recorded with its reason.
#pragma once

#include <string>
#include <vector>

#include "ir/LoopIR.h"

namespace sigma {

void fuseSiblingLoops(loop::Module& module, std::vector<std::string>& remarks);

}  // namespace sigma

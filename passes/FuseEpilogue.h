// Epilogue fusion ("fuse-epilogue"): a consumer whose loop runs over the
// rows its producer finishes one at a time (a bias add and activation after
// a matmul, an activation's gradient after the backward matmul) moves into
// the producer's outer loop, right after the row is complete: the row is
// still in L1 when the epilogue reads it. See mergeAtDepth in LoopFusion.h
// for when that is legal; refusals are recorded.
#pragma once

#include <string>
#include <vector>

#include "ir/LoopIR.h"

namespace sigma {

void fuseEpilogues(loop::Module& module, std::vector<std::string>& remarks);

}  // namespace sigma

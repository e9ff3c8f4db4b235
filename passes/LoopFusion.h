// The machinery of loop fusion, shared by the fusion passes:
//
//  - mergeKernels: several kernels become one, placed where the dependences
//    allow (the kernels between them that depend on an earlier member move
//    after the merged kernel). Refused when that would reorder a dependence,
//    i.e. when a member depends on a non-member that depends on a member.
//  - fuseStatements: inside one kernel, statements that loop over the same
//    space are merged into one loop nest, so that every buffer they share is
//    read once per point. Scalar statements (a reduction's initial value)
//    move up out of the way when nothing orders them. Two nests merge only
//    if every buffer one writes and the other touches is accessed at the same
//    element, once per iteration (an injective index): then the merged loop
//    performs, point by point, exactly the operations of the two loops.
#pragma once

#include <string>
#include <vector>

#include "ir/LoopIR.h"

namespace sigma {

// Merges module.kernels[indices] (ascending) into one kernel named `name`.
// Returns false (and sets `why`) when it would break a dependence.
bool mergeKernels(loop::Module& module, const std::vector<size_t>& indices, const std::string& name, std::string& why);

// Merges a kernel's statements that loop over the same space; returns how
// many loop nests were merged away.
int fuseStatements(loop::Kernel& kernel);

// Merges statement b into statement a along their `depth` outermost loops
// (same extents), b's inner loops running after a's at each outer point.
// Legal when every buffer one writes and the other touches is accessed, for
// each outer point, within one block of elements that no other outer point
// touches (the rows of a matmul and of its epilogue, say). Returns nullptr
// when not legal.
loop::Stmt mergeAtDepth(const loop::Stmt& a, const loop::Stmt& b, size_t depth);

// The loop extents of a kernel's top-level statements (empty for scalars).
std::vector<std::vector<int64_t>> iterationSpaces(const loop::Kernel& kernel);

}  // namespace sigma

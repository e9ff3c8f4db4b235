// Constant folding on the graph IR ("fold-constants").
//
// Replaces every node whose operands are all constants by the constant it
// computes. The values come from lowering the node alone to the loop IR and
// running it on the reference interpreter, so a folded value is the same
// float, bit for bit, that the compiled step would have computed, for every
// op lowering knows, with no second copy of the ops' semantics to drift.
// The training step has such nodes wherever autodiff seeds a gradient
// (broadcast 1, times 1/n) or a coefficient is scaled (2·λ).
//
// A result whose elements are all equal becomes a splat (one value), which
// lowering inlines as an immediate. Elementwise ops on splats are evaluated
// once, at shape [], whatever their shape. Other results larger than
// kMaxFoldedElements (or with a larger operand) are left alone: see the .cpp.
// Only f32 nodes are folded: constants hold floats, and an i32 tensor
// (gather's indices) does not round-trip through them in general.
#pragma once

#include <string>
#include <vector>

#include "ir/Graph.h"

namespace sigma {

// Appends one remark per folded node ("fold-constants: %39 (mul %38, %37)
// -> const 0.25") and per node left alone.
void foldConstants(Graph& graph, std::vector<std::string>& remarks);

}  // namespace sigma

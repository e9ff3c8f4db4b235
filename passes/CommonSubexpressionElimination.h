// Common-subexpression elimination on the graph IR ("cse").
//
// Merges nodes that compute the same value: the same op, the same operands
// and the same type and attributes (matmul transposes, a transpose's
// permutation, a constant's values bit for bit). The first of them is kept
// and every use of the others is redirected to it. The training step is full
// of such repeats: the penalty and the statistics both take |w| and sign(w),
// and every `λ·` or `1 -` brings its own constant. Merging is exact (the same
// computation gives the same bits), so it never changes a result.
//
// Never merged: inputs and parameters (distinct interface slots even when
// alike), and two nodes that both carry a name (the names are what a user
// reads in a dump; a remark says so). When only the repeat is named, the
// kept node takes its name.
#pragma once

#include <string>
#include <vector>

#include "ir/Graph.h"

namespace sigma {

// Appends one remark per merge ("cse: %60 = %8 (abs %fc1.weight)") and per
// refusal.
void eliminateCommonSubexpressions(Graph& graph, std::vector<std::string>& remarks);

}  // namespace sigma

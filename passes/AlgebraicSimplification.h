// Algebraic simplification on the graph IR ("simplify").
//
// Rewrites nodes by a table of pattern rules ({name, pattern, replacement},
// in the style of tinygrad's PatternMatcher and Halide's Simplify rules):
// x*1 -> x, neg(neg x) -> x, x-(neg y) -> x+y, ... The whole table is in
// AlgebraicSimplification.cpp, each rule with the reason it is exact.
//
// The contract: every rule preserves IEEE single-precision results bit for
// bit, so a simplified step computes exactly the numbers the unsimplified
// one does (NaN stays NaN; its payload is unspecified by the loop IR, as in
// LLVM). That rules out the rewrites that are only true of real numbers:
// x*0 -> 0 (NaN for an infinite x, -0 for a negative one), x+0 -> x (-0+0 is
// +0; only x+(-0) -> x is exact), x-x -> 0, and any reassociation such as
// c1*(c2*x) -> (c1*c2)*x (float multiplication is not associative).
// A rewrite that would change the node's type (x*1 where the 1 broadcasts x
// to a larger shape) is not applied. Rules are applied bottom-up, repeatedly,
// to a fixed point; nodes they orphan are left to dce.
#pragma once

#include <string>
#include <vector>

#include "ir/Graph.h"

namespace sigma {

// Appends one remark per rewrite ("simplify: x*1 -> x at %5 (mul %x, %1)")
// and per rewrite refused because it would change a type.
void simplifyAlgebra(Graph& graph, std::vector<std::string>& remarks);

}  // namespace sigma

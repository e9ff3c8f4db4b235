// Lowers a graph to the loop IR: one kernel (a loop nest) per graph node.
//
// Buffers: one per input, parameter and dense constant (same names), one per
// output (named after the output), and a temporary per other node; splat
// constants are inlined as immediates. Updates become copy kernels at the
// end of the step, after every read of the old parameter values. Fusion and
// memory planning are later passes over this straightforward form.
#pragma once

#include "ir/Graph.h"
#include "ir/LoopIR.h"

namespace sigma {

loop::Module lowerToLoops(const Graph& graph);

// The names the graph printer gives nodes (%name, or %N for unnamed ones in
// print order); lowering uses them for buffers and kernel provenance.
std::vector<std::string> displayNames(const Graph& graph);

}  // namespace sigma

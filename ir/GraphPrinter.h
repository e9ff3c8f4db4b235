// The graph IR's text form (MLIR-like, one node per line):
//
//   graph @seed_step {
//     %x = input : f32[4,2]
//     %0 = matmul %x, %w {transpose_b} : f32[4,3]
//     %1 = const 0.5 : f32[]
//     %2 = sum %0 : f32[] #backward
//     output %loss = %2
//     update %w = %5
//   }
//
// GraphParser.h reads it back; print -> parse -> print is the identity,
// constants to the bit (NaN payloads too: ir/FloatText.h).
#pragma once

#include <string>
#include <unordered_map>

#include "ir/FloatText.h"
#include "ir/Graph.h"

namespace sigma {

std::string printGraph(const Graph& g);

// The %-names printGraph uses, without the '%': a node's name, or for an
// unnamed node a number counting the unnamed nodes in order (like LLVM).
// The verifier names nodes the same way, so its messages match a dump.
std::unordered_map<const Node*, std::string> valueNames(const Graph& g);

}  // namespace sigma

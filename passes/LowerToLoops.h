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
#include "ir/VectorIsa.h"

namespace sigma {

// What lowering tailors to the CPU: the register block of the matmul
// micro-kernel (how many rows and columns of C stay in vector registers
// while k runs) and the chunks of k that keep B in L2. Only the speed
// depends on them, never a result: every element of C sums its products in
// increasing k whatever the block and the chunks. The default is AVX2's
// register file and no L2 (k in one piece), so that printed IR (lit tests,
// `sigma opt`) is the same on every host; compile() lowers for the host.
struct LoweringTarget {
  int vectorRegisters = 16;  // 16 (AVX2) or 32 (AVX-512)
  int vectorLanes = 8;       // f32 lanes per register: 8 or 16
  // One core's L2 in bytes, which a matmul's pass over B should stay in
  // (its k is split into chunks where B is bigger than half of it); 0:
  // unknown, k is not split.
  int64_t l2Bytes = 0;
  // The CPU this process runs on, capped at AVX2 when `isa` or SIGMA_TARGET
  // says so (ir/VectorIsa.h): what the JIT compiles for.
  static LoweringTarget host(VectorIsa isa = VectorIsa::Host);
};

loop::Module lowerToLoops(const Graph& graph, const LoweringTarget& target = {});

// The names the graph printer gives nodes (%name, or %N for unnamed ones in
// print order); lowering uses them for buffers and kernel provenance.
std::vector<std::string> displayNames(const Graph& graph);

}  // namespace sigma

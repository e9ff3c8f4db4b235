// Parallel loops ("parallelize-loops"): marks a kernel's top-level loop
// `parallel` when its iterations touch disjoint elements of every buffer it
// writes, and when it does enough work to pay for waking a thread (about
// 64K stores). A parallel loop runs its iterations in chunks on the step's
// thread pool (runtime/ThreadPool.h); since no iteration reads what another
// writes, the results are the same bits for any number of threads.
//
// Disjointness, per access to a written buffer: its index is affine,
// c·v + rest, with v the loop's variable, and the range of `rest` over the
// inner loops is narrower than |c|, so iteration v touches only
// [c·v + lo, c·v + hi]. A reduction into one element (c = 0) keeps its loop
// sequential; so does a non-affine index. Each decision is recorded.
#pragma once

#include <string>
#include <vector>

#include "ir/LoopIR.h"

namespace sigma {

void parallelizeLoops(loop::Module& module, std::vector<std::string>& remarks);

// Why `loop` (a kernel's top-level loop) cannot be parallel, or empty if it can.
std::string whyNotParallel(const loop::For& loop);

}  // namespace sigma

// Blocked long reductions ("block-reductions"): a full reduction over a long
// one-dimensional loop (W3's 16M-element update and its three sums) is one
// loop that no thread can share, since every iteration adds into the same
// accumulator. This pass splits such a loop in blocks of 4096 points,
//
//   for %i in 0..E { ... %s[0] = %s[0] + f(i) ... }
// becomes
//   for %i.o in 0..E/4096 { for %i.i in 0..4096 { ... (i = i.o·4096 + i.i) ... } }
//
// the same iterations in the same order, so nothing changes yet. The block
// loop is what the later passes need: split-reductions gives each block
// lanes of its own (a row), scalarize-temporaries one slot per block, and
// parallelize-loops runs the blocks on the thread pool. Only loops of at
// least 65536 points, a multiple of 4096, with no loop inside and a store
// to a constant index (a reduction's accumulator) are blocked: the choice
// depends on the loop alone, so the fused and unfused pipelines block the
// same reductions the same way and still compute the same bits. Not a
// fusion pass: it runs with --no-fusion too, after the fusion passes (which
// merge one-dimensional loops as they are).
#pragma once

#include <string>
#include <vector>

#include "ir/LoopIR.h"

namespace sigma {

void blockReductions(loop::Module& module, std::vector<std::string>& remarks);

}  // namespace sigma

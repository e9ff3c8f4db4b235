// Lane-split reductions ("split-reductions"): a full reduction to a scalar
// (Σw, Σ|w|, Σw², max|w|, a mean loss) is a chain of dependent float adds
// that, without reassociation, neither LLVM nor the CPU can overlap. This
// pass gives each such reduction L independent partial accumulators (lanes)
// and combines them in one fixed order at the end, which defines a new,
// deterministic summation order that a vector unit can run L-wide:
//
//   for %i in 0..E { %acc[0] = %acc[0] + f(i) }
// becomes
//   for %l in 0..L { %acc.lanes[%l] = 0.0 }
//   for %i.o in 0..E/L { for %i.l in 0..L { %acc.lanes[%i.l] = %acc.lanes[%i.l] + f(i.o*L + i.l) } }
//   for %i.t in 0..E%L { %acc.lanes[%i.t] = %acc.lanes[%i.t] + f(E/L*L + i.t) }
//   %acc[0] = %acc[0] + ((lanes[0] + lanes[1]) + ...)     (pairwise tree)
//
// The lane of a point is its innermost loop index modulo L, and L (16, or 8
// when the innermost extent is below 16; never host-dependent) comes from
// the innermost extent alone, so the fused and unfused pipelines, whose
// nests over a tensor have the same innermost extent, compute the same bits,
// and so do the interpreter and the JIT. It is not a fusion pass: it runs
// with --no-fusion too. Reductions with add, max and min over f32 are split;
// every decision is recorded.
#pragma once

#include <string>
#include <vector>

#include "ir/LoopIR.h"

namespace sigma {

void splitReductions(loop::Module& module, std::vector<std::string>& remarks);

}  // namespace sigma

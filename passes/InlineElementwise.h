// Producer-consumer fusion on the loop IR ("fuse-elementwise").
//
// A kernel that computes a temporary elementwise — one perfect loop nest,
// one store per point, T[flat index] = f(...) — is inlined into the kernels
// that read T: each load T[e] becomes f evaluated at the point e decodes to.
// Chains of elementwise and broadcast ops thus collapse into the loop nest
// of their consumer (a reduction, a matmul operand, an update), and T is
// never written to memory. Halide calls this compute_inline.
//
// Refused, with the reason recorded: a producer read more than once whose
// computation is not cheap (it would be recomputed), a producer whose
// operands change between it and its consumer, a load index that does not
// decode into the producer's loop space.
#pragma once

#include <string>
#include <vector>

#include "ir/LoopIR.h"

namespace sigma {

void inlineElementwise(loop::Module& module, std::vector<std::string>& remarks);

}  // namespace sigma

// Matmul micro-kernels, emitted with their accumulators in registers.
//
//   for k in 0..K { for r in 0..MR { for c in 0..NR {
//     C[.. + sr·r + c] = fma(A(k, r), B[.. + sk·k + c], C[.. + sr·r + c]) } } }
//
// is the register block passes/LowerToLoops.cpp makes of a matmul: an
// MR×NR block of C accumulating over k. Left to LLVM, whether it becomes a
// micro-kernel (the block in MR·NR/L vector registers, one broadcast of A
// and NR/L vector loads of B per row and k) depends on the unroller and the
// vectorizer agreeing: in a nest one loop deeper (a loop over column panels
// outside the rows) the vectorizer takes k instead and the block is
// gathered and scattered at every step, 40× slower. Matched here, the
// block is emitted as that micro-kernel directly: the accumulators are
// loaded once (or start at zero, when the nest before the block zeroes it:
// zeroesTileBlock), carried through the k loop as SSA values and stored
// once. C's rows and B's vectors are addressed at constant offsets from one
// pointer each; with a pointer per row, LLVM kept 16 of them on the stack
// around every block of W2's dW1 kernel, in 16×16 blocks then (5-7% of its
// time, with the zero stores and their reloads).
// Every element still sums its products in increasing k with one rounding
// per fma, so the bits are the interpreter's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "ir/LoopIR.h"

namespace sigma::codegen {

struct MatmulTile {
  std::string k, row, col;           // the three loop variables, outermost first
  int64_t depth, rows, cols;         // K, MR, NR
  int64_t rowStride;                 // C's elements from one row of the block to the next
  const loop::Store* store;          // C[..] = fma(a, b, C[..])
  loop::Expr a;                      // A(k, r): any f32 expression without c that reads no C
  const loop::Load* b;               // B[..]: contiguous in c, independent of r
};

// The nest `loop` (k) when it is such a block of f32 with NR a multiple of
// `lanes`, small enough for the register file: MR·NR/L accumulators, NR/L
// vectors of B and a broadcast in 32 registers with AVX-512's 16 lanes, 16
// with fewer lanes.
std::optional<MatmulTile> matchMatmulTile(const loop::For& loop, int64_t lanes);

// Whether `nest` is `for r in 0..MR { for c in 0..NR { C[..] = 0.0 } }`
// over exactly the tile's C block (its loop variables, extents and index):
// the zeroing the lowering puts before each block, which the micro-kernel
// can then replace by accumulators that start at +0.0.
bool zeroesTileBlock(const loop::For& nest, const MatmulTile& tile);

}  // namespace sigma::codegen

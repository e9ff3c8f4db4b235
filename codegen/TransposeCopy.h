// Transpose copies, emitted as in-register transposes.
//
//   for u in 0..U { for v in 0..V { dst[.. + su·u + v] = src[.. + u + lv·v] } }
//
// The stores run along v, the loads along u: element by element, one of the
// two strides through memory, and LLVM's vectorizer turns it into gathers or
// scatters, a cycle or more per element. The packing of Bᵀ before a matmul
// A·Bᵀ is such a copy (passes/LowerToLoops.cpp), and at W2's h1·W2ᵀ
// (128×256×512) it took about 55 of the matmul's 370 µs on Zen 4. Matched here, the nest is emitted as L×L tiles
// (L = the vector's lanes): L vector loads along u, log2(L) rounds of
// shuffles, L vector stores along v. A pure copy with distinct stores into a
// buffer it does not read, it leaves the same bits in whatever order it runs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ir/LoopIR.h"

namespace llvm {
class Function;
class IRBuilderBase;
class Value;
}  // namespace llvm

namespace sigma::codegen {

struct TransposeCopy {
  std::string outer, inner;           // u, v
  int64_t outerExtent, innerExtent;   // U, V
  const loop::Store* store;           // dst[...] = src[...]
  const loop::Load* load;
};

// The nest `loop` (u) and its only statement (v), when they are a transpose
// copy of f32 whose extents are multiples of `lanes`.
std::optional<TransposeCopy> matchTransposeCopy(const loop::For& loop, int64_t lanes);

// The shuffles of an L×L transpose, one round per bit of the lane number:
// every row i whose bit `distance` is clear pairs with row i + distance, and
// the two become shuffle(row i, row i+distance, low) and (..., high), where
// a mask entry m < L is lane m of row i and m >= L lane m-L of the other.
struct TransposeRound {
  int distance;
  std::vector<int> low, high;
};
std::vector<TransposeRound> transposeRounds(int lanes);  // lanes: a power of two

// rows[i] lane j -> result[j] lane i: the rounds above as shufflevectors.
std::vector<llvm::Value*> transposeInRegisters(llvm::IRBuilderBase& b, std::vector<llvm::Value*> rows);

// The f32 lanes of the widest vector the function's target features offer.
int64_t floatLanes(const llvm::Function& function);

}  // namespace sigma::codegen

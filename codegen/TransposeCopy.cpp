#include "codegen/TransposeCopy.h"

#include <llvm/ADT/STLExtras.h>
#include <llvm/ADT/SmallVector.h>
#include <llvm/IR/Function.h>
#include <llvm/IR/IRBuilder.h>

#include "passes/LoopAnalysis.h"

namespace sigma::codegen {

using namespace sigma::loop;

std::optional<TransposeCopy> matchTransposeCopy(const For& loop, int64_t lanes) {
  const For* inner = as<For>(loop.body);
  if (!inner || inner->parallel || lanes < 2) return std::nullopt;
  const Store* store = as<Store>(inner->body);
  if (!store || store->value->type != ScalarType::F32) return std::nullopt;
  const Load* load = as<Load>(store->value);
  if (!load || load->buffer == store->buffer) return std::nullopt;
  if (loop.extent % lanes != 0 || inner->extent % lanes != 0 || loop.var == inner->var) return std::nullopt;

  const LinearForm to = linearize(store->index), from = linearize(load->index);
  if (!to.affine || !from.affine) return std::nullopt;
  auto coeff = [](const LinearForm& f, const std::string& var) {
    auto it = f.coeffs.find(var);
    return it == f.coeffs.end() ? int64_t(0) : it->second;
  };
  const int64_t su = coeff(to, loop.var), sv = coeff(to, inner->var);
  const int64_t lu = coeff(from, loop.var), lv = coeff(from, inner->var);
  // Stores contiguous in v and rows of them at least V apart: every
  // iteration writes its own element, so the order does not matter.
  if (sv != 1 || su < inner->extent) return std::nullopt;
  // Loads contiguous in u and strided in v: a transpose, not a copy.
  if (lu != 1 || lv <= 1) return std::nullopt;
  return TransposeCopy{loop.var, inner->var, loop.extent, inner->extent, store, load};
}

// Round d swaps bit d of the row number with bit d of the lane number:
// rows i and i+d (bit d of i clear) exchange the lanes where i+d's bit is
// clear with the lanes where i's is set. After every round, row i lane j
// holds what row j lane i held.
std::vector<TransposeRound> transposeRounds(int lanes) {
  std::vector<TransposeRound> rounds;
  for (int d = lanes / 2; d >= 1; d /= 2) {
    TransposeRound round{d, std::vector<int>(size_t(lanes)), std::vector<int>(size_t(lanes))};
    for (int j = 0; j < lanes; ++j) {
      round.low[size_t(j)] = (j & d) ? lanes + j - d : j;   // row i: its lanes with bit d clear, then row i+d's
      round.high[size_t(j)] = (j & d) ? lanes + j : j + d;  // row i+d: row i's lanes with bit d set, then its own
    }
    rounds.push_back(std::move(round));
  }
  return rounds;
}

std::vector<llvm::Value*> transposeInRegisters(llvm::IRBuilderBase& b, std::vector<llvm::Value*> rows) {
  for (const TransposeRound& round : transposeRounds(int(rows.size())))
    for (size_t i = 0; i < rows.size(); ++i) {
      if (i & size_t(round.distance)) continue;
      llvm::Value *a = rows[i], *c = rows[i + size_t(round.distance)];
      rows[i] = b.CreateShuffleVector(a, c, round.low);
      rows[i + size_t(round.distance)] = b.CreateShuffleVector(a, c, round.high);
    }
  return rows;
}

int64_t floatLanes(const llvm::Function& function) {
  llvm::SmallVector<llvm::StringRef, 64> features;
  function.getFnAttribute("target-features").getValueAsString().split(features, ',');
  auto has = [&](llvm::StringRef f) { return llvm::is_contained(features, f); };
  if (has("+avx512f")) return 16;
  if (has("+avx")) return 8;
  return 4;
}

}  // namespace sigma::codegen

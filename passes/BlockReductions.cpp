#include "passes/BlockReductions.h"

#include <fmt/format.h>

#include "passes/LoopAnalysis.h"

namespace sigma {

using namespace loop;

namespace {

constexpr int64_t kBlock = 4096, kMinExtent = 16 * kBlock;

bool hasLoop(const Stmt& s) {
  if (as<For>(s)) return true;
  if (const Block* b = as<Block>(s))
    for (const Stmt& t : b->stmts)
      if (hasLoop(t)) return true;
  return false;
}

// A store to one fixed element: the accumulator of a reduction.
bool storesToConstantIndex(const Stmt& body) {
  for (const Access& a : collectAccesses(body))
    if (a.write) {
      const LinearForm form = linearize(a.index);
      if (form.affine && form.coeffs.empty()) return true;
    }
  return false;
}

}  // namespace

void blockReductions(Module& m, std::vector<std::string>& remarks) {
  for (Kernel& k : m.kernels)
    rewriteTopLevelStatements(k, [&](const Stmt& s) -> std::vector<Stmt> {
      const For* f = as<For>(s);
      // (A loop already parallel is left alone: splitting would drop the mark.)
      if (!f || f->parallel || f->extent < kMinExtent || f->extent % kBlock != 0 || hasLoop(f->body) ||
          !storesToConstantIndex(f->body))
        return {s};
      remarks.push_back(fmt::format("block-reductions: @{}: %{} ({} points) split in {} blocks of {}", k.name, f->var,
                                    f->extent, f->extent / kBlock, kBlock));
      return {splitOuterLoop(s, kBlock)};
    });
}

}  // namespace sigma

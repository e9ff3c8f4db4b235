#include "codegen/MatmulTile.h"

#include <cmath>

#include "ir/IRVisitor.h"
#include "passes/LoopAnalysis.h"

namespace sigma::codegen {

using namespace sigma::loop;

namespace {

// The vector registers of a target whose widest float vector has `lanes`
// lanes: 32 zmm with AVX-512, 16 ymm (or xmm) below it.
int64_t vectorRegisters(int64_t lanes) { return lanes >= 16 ? 32 : 16; }

// Whether `expr` mentions loop variable `var` or loads from `buffer`.
struct Mentions : IRVisitor {
  const std::string &var, &buffer;
  bool varFound = false, bufferFound = false;
  Mentions(const std::string& v, const std::string& b) : var(v), buffer(b) {}
  using IRVisitor::visit;
  void visit(const Var* op) override { varFound |= op->name == var; }
  void visit(const Load* op) override {
    bufferFound |= op->buffer == buffer;
    IRVisitor::visit(op);
  }
};

int64_t coefficient(const LinearForm& form, const std::string& var) {
  auto it = form.coeffs.find(var);
  return it == form.coeffs.end() ? 0 : it->second;
}

}  // namespace

std::optional<MatmulTile> matchMatmulTile(const For& loop, int64_t lanes) {
  const For* rows = as<For>(loop.body);
  const For* cols = rows ? as<For>(rows->body) : nullptr;
  if (!cols || rows->parallel || cols->parallel || lanes < 2) return std::nullopt;
  // An empty loop runs nothing, but the micro-kernel's k loop runs at least
  // once (and would read A and B where the interpreter reads nothing).
  if (loop.extent <= 0 || rows->extent <= 0 || cols->extent <= 0) return std::nullopt;
  if (loop.var == rows->var || loop.var == cols->var || rows->var == cols->var) return std::nullopt;
  // The accumulators, B's vectors and A's broadcast must all fit in the
  // register file, or every k would spill: the lowering's blocks (8×32 and
  // 16×16 on AVX-512, 4×16 and 8×8 on AVX2) leave room to spare.
  const int64_t vectors = cols->extent / lanes;
  if (cols->extent % lanes != 0 || rows->extent * vectors + vectors + 1 > vectorRegisters(lanes)) return std::nullopt;
  const Store* store = as<Store>(cols->body);
  const MulAdd* fma = store ? as<MulAdd>(store->value) : nullptr;
  if (!fma) return std::nullopt;
  const Load* accumulator = as<Load>(fma->c);
  const Load* b = as<Load>(fma->b);
  if (!accumulator || !b || accumulator->buffer != store->buffer || b->buffer == store->buffer) return std::nullopt;
  if (b->type != ScalarType::F32 || fma->a->type != ScalarType::F32) return std::nullopt;

  // C: the same element read and written, contiguous in c, rows apart, the
  // same in every k (so that it can stay in a register while k runs).
  const LinearForm c = linearize(store->index);
  if (!c.affine || linearize(accumulator->index) != c) return std::nullopt;
  if (coefficient(c, cols->var) != 1 || coefficient(c, loop.var) != 0) return std::nullopt;
  if (rows->extent > 1 && coefficient(c, rows->var) < cols->extent) return std::nullopt;
  // B: one vector per k, shared by the rows.
  const LinearForm bForm = linearize(b->index);
  if (!bForm.affine || coefficient(bForm, cols->var) != 1 || coefficient(bForm, rows->var) != 0) return std::nullopt;
  // A: one scalar per row and k, broadcast along c; it must not see C change.
  Mentions inA(cols->var, store->buffer);
  inA.visit(fma->a);
  if (inA.varFound || inA.bufferFound) return std::nullopt;
  return MatmulTile{loop.var, rows->var, cols->var, loop.extent, rows->extent, cols->extent,
                    coefficient(c, rows->var), store, fma->a, b};
}

bool zeroesTileBlock(const For& nest, const MatmulTile& tile) {
  const For* cols = as<For>(nest.body);
  const Store* store = cols ? as<Store>(cols->body) : nullptr;
  if (!store || nest.parallel || cols->parallel) return false;
  if (nest.var != tile.row || nest.extent != tile.rows || cols->var != tile.col || cols->extent != tile.cols)
    return false;
  const FloatImm* value = as<FloatImm>(store->value);
  if (!value || value->value != 0.0f || std::signbit(value->value)) return false;  // +0.0 exactly
  const LinearForm index = linearize(store->index);
  return store->buffer == tile.store->buffer && index.affine && index == linearize(tile.store->index);
}

}  // namespace sigma::codegen

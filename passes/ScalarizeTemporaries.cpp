#include "passes/ScalarizeTemporaries.h"

#include <fmt/format.h>

#include <optional>

#include "ir/IRVisitor.h"
#include "passes/LoopAnalysis.h"

namespace sigma {

using namespace loop;

namespace {

// Every access of `buffer` goes to element `slot`.
class ToSlot : public IRMutator {
 public:
  ToSlot(const std::string& b, Expr slot) : buffer_(b), slot_(std::move(slot)) {}
  using IRMutator::mutate;

 protected:
  Expr visit(const Load* op, const Expr& self) override {
    if (op->buffer == buffer_) return Load::make(op->buffer, op->type, slot_);
    return IRMutator::visit(op, self);
  }
  Stmt visit(const Store* op, const Stmt& self) override {
    if (op->buffer == buffer_) return Store::make(op->buffer, slot_, mutate(op->value));
    return IRMutator::visit(op, self);
  }

 private:
  const std::string& buffer_;
  Expr slot_;
};

int countAccesses(const Stmt& s, const std::string& buffer) {
  int n = 0;
  for (const Access& a : collectAccesses(s)) n += a.buffer == buffer;
  return n;
}

// True if some statement list in `s` (a loop body, or the kernel's top
// level) holds every one of the kernel's `total` accesses to `buffer` in its
// own non-loop statements, the first of them a store, all at one index.
// `loops` is the loops around `s`; on success it holds those around that
// statement list.
bool pointLocal(const Stmt& s, const std::string& buffer, int total, std::vector<const For*>& loops) {
  std::vector<Stmt> stmts = topLevelStatements(s);
  int here = 0;
  bool storedFirst = false;
  std::optional<LinearForm> index;
  bool sameIndex = true;
  for (const Stmt& st : stmts) {
    if (as<For>(st)) continue;
    for (const Access& a : collectAccesses(st)) {
      if (a.buffer != buffer) continue;
      if (here++ == 0) storedFirst = a.write;
      LinearForm f = linearize(a.index);
      if (!f.affine || (index && !(*index == f))) sameIndex = false;
      if (!index) index = f;
    }
    // A store's own value is read before it is written: collectAccesses lists
    // the value's loads first, so a read of the buffer before its first store
    // in this statement makes storedFirst false above.
  }
  if (here == total) return storedFirst && sameIndex && index && !index->coeffs.empty();
  for (const Stmt& st : stmts)
    if (const For* f = as<For>(st)) {
      loops.push_back(f);
      if (pointLocal(f->body, buffer, total, loops)) return true;
      loops.pop_back();
    }
  return false;
}

// One slot per iteration of the loops around the innermost one (its
// iterations reuse the slot: each writes it before reading it), so that
// iterations of an outer loop, which may run in parallel, never share one.
std::pair<Expr, int64_t> slotFor(const std::vector<const For*>& loops) {
  Expr slot = i64(0);
  int64_t size = 1;
  for (size_t d = 0; d + 1 < loops.size(); ++d) {
    slot = size == 1 ? Var::make(loops[d]->var) : slot * i64(loops[d]->extent) + Var::make(loops[d]->var);
    size *= loops[d]->extent;
  }
  return {slot, size};
}

}  // namespace

void scalarizeTemporaries(Module& m, std::vector<std::string>& remarks) {
  for (Buffer& b : m.buffers) {
    if (b.kind != BufferKind::Temp || b.size <= 1) continue;
    Kernel* owner = nullptr;
    bool shared = false;
    for (Kernel& k : m.kernels) {
      if (!countAccesses(k.body, b.name)) continue;
      shared = owner != nullptr;
      owner = owner ? owner : &k;
    }
    if (!owner || shared) continue;
    std::vector<const For*> loops;
    if (!pointLocal(owner->body, b.name, countAccesses(owner->body, b.name), loops)) continue;
    auto [slot, size] = slotFor(loops);
    if (size >= b.size) continue;
    owner->body = ToSlot(b.name, slot).mutate(owner->body);
    remarks.push_back(size == 1 ? fmt::format("scalarize-temporaries: %{} ({} elements) is written and read back point "
                                              "by point in @{} only: one element holds it",
                                              b.name, b.size, owner->name)
                                : fmt::format("scalarize-temporaries: %{} ({} elements) is written and read back point "
                                              "by point in @{} only: {} elements hold it, one per row",
                                              b.name, b.size, owner->name, size));
    b.size = size;
  }
}

}  // namespace sigma

#include "passes/ScalarizeTemporaries.h"

#include <fmt/format.h>

#include <optional>

#include "ir/IRVisitor.h"
#include "passes/LoopAnalysis.h"

namespace sigma {

using namespace loop;

namespace {

// Every access of `buffer` goes to element 0.
class ToSlotZero : public IRMutator {
 public:
  explicit ToSlotZero(const std::string& b) : buffer_(b) {}
  using IRMutator::mutate;

 protected:
  Expr visit(const Load* op, const Expr& self) override {
    if (op->buffer == buffer_) return Load::make(op->buffer, op->type, i64(0));
    return IRMutator::visit(op, self);
  }
  Stmt visit(const Store* op, const Stmt& self) override {
    if (op->buffer == buffer_) return Store::make(op->buffer, i64(0), mutate(op->value));
    return IRMutator::visit(op, self);
  }

 private:
  const std::string& buffer_;
};

int countAccesses(const Stmt& s, const std::string& buffer) {
  int n = 0;
  for (const Access& a : collectAccesses(s)) n += a.buffer == buffer;
  return n;
}

// True if some statement list in `s` (a loop body, or the kernel's top
// level) holds every one of the kernel's `total` accesses to `buffer` in its
// own non-loop statements, the first of them a store, all at one index.
bool pointLocal(const Stmt& s, const std::string& buffer, int total) {
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
    if (const For* f = as<For>(st); f && pointLocal(f->body, buffer, total)) return true;
  return false;
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
    if (!pointLocal(owner->body, b.name, countAccesses(owner->body, b.name))) continue;
    owner->body = ToSlotZero(b.name).mutate(owner->body);
    remarks.push_back(fmt::format("scalarize-temporaries: %{} ({} elements) is written and read back point by point in "
                                  "@{} only: one element holds it",
                                  b.name, b.size, owner->name));
    b.size = 1;
  }
}

}  // namespace sigma

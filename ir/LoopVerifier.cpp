#include "ir/LoopVerifier.h"

#include <algorithm>
#include <cstdlib>
#include <set>
#include <utility>

#include "ir/Error.h"
#include "ir/IRVisitor.h"
#include "ir/LoopPrinter.h"

namespace sigma {

using namespace loop;

namespace {

// ------------------------------------------------------- interval analysis

// The values an integer expression can take, or `bounded == false` when the
// analysis cannot tell (loads, overflow, division by a range holding 0).
struct Interval {
  int64_t lo = 0, hi = 0;
  bool bounded = false;
};

Interval point(int64_t v) { return {v, v, true}; }
Interval range(int64_t lo, int64_t hi) { return {lo, hi, true}; }
const Interval kUnbounded{};

// Applies `f` to each combination of bounds; the result spans the corners.
// Right for + - * (bilinear) and for truncated division by a divisor range
// that excludes 0 (monotone in each operand on such a box).
template <typename F>
Interval corners(const Interval& a, const Interval& b, F f) {
  if (!a.bounded || !b.bounded) return kUnbounded;
  int64_t lo = INT64_MAX, hi = INT64_MIN;
  for (int64_t x : {a.lo, a.hi})
    for (int64_t y : {b.lo, b.hi}) {
      int64_t r;
      if (!f(x, y, r)) return kUnbounded;  // overflow
      lo = std::min(lo, r), hi = std::max(hi, r);
    }
  return range(lo, hi);
}

Interval remainder(const Interval& a, const Interval& b) {
  if (!a.bounded || !b.bounded || (b.lo <= 0 && b.hi >= 0) || b.lo == INT64_MIN) return kUnbounded;
  // |a % b| < |b|, and the result has the sign of a (C truncation).
  int64_t minDivisor = std::min(std::abs(b.lo), std::abs(b.hi));
  int64_t maxResult = std::max(std::abs(b.lo), std::abs(b.hi)) - 1;
  if (a.lo >= 0 && a.hi < minDivisor) return a;  // a % b == a
  if (a.hi <= 0 && a.lo > -minDivisor) return a;
  return range(a.lo >= 0 ? 0 : std::max(a.lo, -maxResult), a.hi <= 0 ? 0 : std::min(a.hi, maxResult));
}

using Extents = std::vector<std::pair<std::string, int64_t>>;  // loop variable -> extent

Interval intervalOf(const Expr& e, const Extents& loops) {
  if (!e || (e->type != ScalarType::I64 && e->type != ScalarType::I32)) return kUnbounded;
  if (const IntImm* imm = as<IntImm>(e)) return point(imm->value);
  if (const Var* v = as<Var>(e)) {
    for (const auto& [name, extent] : loops)
      if (name == v->name) return range(0, extent - 1);
    return kUnbounded;
  }
  if (const Cast* c = as<Cast>(e)) {
    Interval a = intervalOf(c->a, loops);
    bool fits = c->type == ScalarType::I64 || (a.lo >= INT32_MIN && a.hi <= INT32_MAX);
    return a.bounded && fits ? a : kUnbounded;  // f32 sources are unbounded already
  }
  if (const Select* s = as<Select>(e)) {
    Interval t = intervalOf(s->trueValue, loops), f = intervalOf(s->falseValue, loops);
    return t.bounded && f.bounded ? range(std::min(t.lo, f.lo), std::max(t.hi, f.hi)) : kUnbounded;
  }
  if (const Unary* u = as<Unary>(e)) {
    Interval a = intervalOf(u->a, loops);
    if (!a.bounded || a.lo == INT64_MIN) return kUnbounded;
    if (u->op == UnaryOp::Neg) return range(-a.hi, -a.lo);
    if (u->op == UnaryOp::Abs) return a.lo >= 0 ? a : a.hi <= 0 ? range(-a.hi, -a.lo) : range(0, std::max(-a.lo, a.hi));
    return kUnbounded;
  }
  const Binary* b = as<Binary>(e);
  if (!b) return kUnbounded;  // loads
  Interval x = intervalOf(b->a, loops), y = intervalOf(b->b, loops);
  switch (b->op) {
    case BinaryOp::Add:
      return corners(x, y, [](int64_t p, int64_t q, int64_t& r) { return !__builtin_add_overflow(p, q, &r); });
    case BinaryOp::Sub:
      return corners(x, y, [](int64_t p, int64_t q, int64_t& r) { return !__builtin_sub_overflow(p, q, &r); });
    case BinaryOp::Mul:
      return corners(x, y, [](int64_t p, int64_t q, int64_t& r) { return !__builtin_mul_overflow(p, q, &r); });
    case BinaryOp::Div:
      if (!y.bounded || (y.lo <= 0 && y.hi >= 0)) return kUnbounded;
      return corners(x, y, [](int64_t p, int64_t q, int64_t& r) {
        if (p == INT64_MIN && q == -1) return false;
        r = p / q;
        return true;
      });
    case BinaryOp::Mod: return remainder(x, y);
    case BinaryOp::Min: return x.bounded && y.bounded ? range(std::min(x.lo, y.lo), std::min(x.hi, y.hi)) : kUnbounded;
    case BinaryOp::Max: return x.bounded && y.bounded ? range(std::max(x.lo, y.lo), std::max(x.hi, y.hi)) : kUnbounded;
    default: return kUnbounded;
  }
}

// ------------------------------------------------------------- the checks

class KernelVerifier {
 public:
  KernelVerifier(const Module& m, const Kernel& k) : module_(m), kernel_(k) {}

  void run() {
    if (!kernel_.body) fail("the kernel has no body");
    check(kernel_.body);
  }

 private:
  template <typename... Args>
  [[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) const {
    throw Error(fmt::format("verify: kernel {}: {}", printName('@', kernel_.name),
                            fmt::format(format, std::forward<Args>(args)...)));
  }

  const Buffer& buffer(const std::string& name, const char* access) const {
    const Buffer* b = module_.findBuffer(name);
    if (!b) fail("{} unknown buffer {}", access, printName('%', name));
    // sigma_step runs before anything is bound: only the loop may touch extern storage.
    if (b->kind == BufferKind::Extern && kernel_.role == KernelRole::Step)
      fail("{} extern buffer {}: only the training loop's kernels may use extern buffers", access, printName('%', name));
    return *b;
  }

  void check(const Stmt& s) {
    if (!s) fail("null statement");
    if (const For* f = as<For>(s)) {
      if (f->extent < 0) fail("loop {} has a negative extent {}", printName('%', f->var), f->extent);
      for (const auto& [name, extent] : loops_)
        if (name == f->var) fail("loop variable {} shadows an enclosing loop's", printName('%', f->var));
      if (f->var == kLoopStepVar && kernel_.role != KernelRole::Step)
        fail("loop variable {} shadows the training loop's", printName('%', f->var));
      if (f->parallel && !loops_.empty())
        fail("loop {} is parallel inside another loop (only a kernel's top-level loops can be)", printName('%', f->var));
      loops_.emplace_back(f->var, f->extent);
      check(f->body);
      loops_.pop_back();
    } else if (const Store* st = as<Store>(s)) {
      const Buffer& b = buffer(st->buffer, "store to");
      // Whether a loop_ahead kernel runs depends on the call's range, so it may change nothing.
      if (kernel_.role == KernelRole::LoopAhead)
        fail("store {}[{}]: a loop_ahead kernel only prefetches (it does not run in a call's last step)",
             printName('%', b.name), printExpr(st->index));
      std::string where = fmt::format("store {}[{}]", printName('%', b.name), printExpr(st->index));
      // The training loop's loop_in kernels feed the step's inputs (its batch, its rates).
      const bool feeds = b.kind == BufferKind::Input && kernel_.role == KernelRole::LoopIn;
      if ((b.kind == BufferKind::Input && !feeds) || b.kind == BufferKind::Constant)
        fail("{}: stores into {} buffer {}", where, bufferKindName(b.kind), printName('%', b.name));
      check(st->index);
      check(st->value);
      if (st->value->type != b.type)
        fail("{}: stores a {} value into a {} buffer", where, scalarTypeName(st->value->type), scalarTypeName(b.type));
      checkIndex(b, st->index, "store to");
    } else if (const Prefetch* p = as<Prefetch>(s)) {
      const Buffer& b = buffer(p->buffer, "prefetch of");
      // The passes, which see only the step's kernels, need not know that a prefetch reads.
      if (kernel_.role == KernelRole::Step)
        fail("prefetch of {}: only the training loop's kernels may prefetch", printName('%', b.name));
      check(p->index);
      checkIndex(b, p->index, "prefetch of");
    } else if (const Block* blk = as<Block>(s)) {
      for (const Stmt& child : blk->stmts) check(child);
    }
  }

  void checkIndex(const Buffer& b, const Expr& index, const char* access) const {
    if (index->type != ScalarType::I64)
      fail("{} {}: the index {} is {}, not i64", access, printName('%', b.name), printExpr(index),
           scalarTypeName(index->type));
    for (const auto& [name, extent] : loops_)
      if (extent == 0) return;  // the access never runs
    if (b.kind == BufferKind::Extern) return;  // sized at run time
    // %step grows without bound: it may only index the loop's own (extern) tables.
    if (mentionsStep(index))
      fail("{} {}: the index {} uses %step, but only extern buffers are indexed by the step", access,
           printName('%', b.name), printExpr(index));
    Interval r = intervalOf(index, loops_);
    if (r.bounded && (r.lo < 0 || r.hi >= b.size))
      fail("{} {}: index {} ranges over [{}, {}], outside [0, {}) (the buffer has {} elements)", access,
           printName('%', b.name), printExpr(index), r.lo, r.hi, b.size, b.size);
  }

  static bool mentionsStep(const Expr& e) {
    struct Finder : IRVisitor {
      bool found = false;
      using IRVisitor::visit;
      void visit(const Var* op) override { found |= op->name == kLoopStepVar; }
      // %step inside a load's index indexes that load's buffer, which is checked on its own.
      void visit(const Load*) override {}
    } finder;
    finder.visit(e);
    return finder.found;
  }

  void typeError(const Expr& e, const std::string& what) const {
    fail("type mismatch in {}: {}", printExpr(e), what);
  }

  // The node builders check these too; nodes built directly (or by a buggy
  // mutator) bypass them, so the verifier checks again.
  void check(const Expr& e) {
    if (!e) fail("null expression");
    switch (e->kind) {
      case ExprKind::FloatImm:
      case ExprKind::IntImm: return;
      case ExprKind::Var: {
        const std::string& name = as<Var>(e)->name;
        for (const auto& loop : loops_)
          if (loop.first == name) return;
        if (name == kLoopStepVar && kernel_.role != KernelRole::Step) return;  // the training loop's
        if (name == kLoopStepVar)
          fail("{} is the training loop's variable: only the training loop's kernels may use it",
               printName('%', name));
        fail("loop variable {} is used outside its loop", printName('%', name));
      }
      case ExprKind::Load: {
        const Load* l = as<Load>(e);
        const Buffer& b = buffer(l->buffer, "load from");
        if (l->type != b.type)
          typeError(e, fmt::format("the load has type {} but {} holds {}", scalarTypeName(l->type),
                                   printName('%', b.name), scalarTypeName(b.type)));
        check(l->index);
        return checkIndex(b, l->index, "load from");
      }
      case ExprKind::Unary: {
        const Unary* u = as<Unary>(e);
        check(u->a);
        bool intOk = u->op == UnaryOp::Neg || u->op == UnaryOp::Abs;
        if (u->a->type != ScalarType::F32 && !(intOk && u->a->type != ScalarType::Bool))
          typeError(e, fmt::format("{} of a {} operand", unaryOpName(u->op), scalarTypeName(u->a->type)));
        if (u->type != u->a->type) typeError(e, "the result type differs from the operand's");
        return;
      }
      case ExprKind::Binary: {
        const Binary* b = as<Binary>(e);
        check(b->a);
        check(b->b);
        ScalarType t = b->a->type;
        if (t != b->b->type)
          typeError(e, fmt::format("{} of {} and {} operands", binaryOpName(b->op), scalarTypeName(t),
                                   scalarTypeName(b->b->type)));
        if (t == ScalarType::Bool && b->op != BinaryOp::Eq && b->op != BinaryOp::Ne)
          typeError(e, fmt::format("{} of bool operands", binaryOpName(b->op)));
        if (t == ScalarType::F32 && b->op == BinaryOp::Mod) typeError(e, "mod of f32 operands");
        if (b->type != (isComparison(b->op) ? ScalarType::Bool : t)) typeError(e, "wrong result type");
        return;
      }
      case ExprKind::Select: {
        const Select* s = as<Select>(e);
        check(s->cond);
        check(s->trueValue);
        check(s->falseValue);
        if (s->cond->type != ScalarType::Bool) typeError(e, "the condition is not bool");
        if (s->trueValue->type != s->falseValue->type || s->type != s->trueValue->type)
          typeError(e, "the arms have different types");
        return;
      }
      case ExprKind::Cast: {
        const Cast* c = as<Cast>(e);
        check(c->a);
        if (c->type == ScalarType::Bool || c->a->type == ScalarType::Bool) typeError(e, "cast to or from bool");
        return;
      }
      case ExprKind::MulAdd: {
        const MulAdd* m = as<MulAdd>(e);
        check(m->a), check(m->b), check(m->c);
        if (m->a->type != ScalarType::F32 || m->b->type != ScalarType::F32 || m->c->type != ScalarType::F32)
          typeError(e, "fma of non-f32 operands");
        return;
      }
    }
  }

  const Module& module_;
  const Kernel& kernel_;
  Extents loops_;  // enclosing loops, outermost first
};

}  // namespace

// A memory plan may let temporaries share arena bytes, but never two that
// one kernel uses: their lifetimes overlap there.
static void verifyMemoryPlan(const Module& module) {
  struct Used : IRVisitor {
    std::set<std::string> names;
    using IRVisitor::visit;
    void visit(const Load* op) override { names.insert(op->buffer), IRVisitor::visit(op); }
    void visit(const Store* op) override { names.insert(op->buffer), IRVisitor::visit(op); }
    void visit(const Prefetch* op) override { names.insert(op->buffer), IRVisitor::visit(op); }
  };
  auto bytes = [](const Buffer& b) { return b.size * (b.type == ScalarType::I64 ? 8 : 4); };
  for (const Buffer& b : module.buffers)
    if (b.offset >= 0 && (b.kind != BufferKind::Temp || b.offset % 4 != 0))
      throw Error(fmt::format("verify: module {}: buffer {} is placed at {} but only 4-byte-aligned temporaries "
                              "are placed in the arena", printName('@', module.name), printName('%', b.name), b.offset));
  for (const Kernel& k : module.kernels) {
    Used used;
    used.visit(k.body);
    // Memory planning sees only the step's kernels: a loop kernel sharing a
    // planned temporary's bytes would clobber some other temporary.
    for (const std::string& n : used.names)
      if (const Buffer* b = module.findBuffer(n); b && b->offset >= 0 && k.role != KernelRole::Step)
        throw Error(fmt::format("verify: kernel {}: a {} kernel uses {}, a temporary placed by memory planning",
                                printName('@', k.name), kernelRoleName(k.role), printName('%', b->name)));
    std::vector<const Buffer*> placed;
    for (const std::string& n : used.names)
      if (const Buffer* b = module.findBuffer(n); b && b->offset >= 0) placed.push_back(b);
    for (size_t i = 0; i < placed.size(); ++i)
      for (size_t j = i + 1; j < placed.size(); ++j) {
        const Buffer &a = *placed[i], &b = *placed[j];
        if (a.offset < b.offset + bytes(b) && b.offset < a.offset + bytes(a))
          throw Error(fmt::format("verify: kernel {}: buffers {} and {} share arena bytes but are both used here",
                                  printName('@', k.name), printName('%', a.name), printName('%', b.name)));
      }
  }
}

void verifyModule(const Module& module) {
  auto fail = [&](const std::string& message) {
    throw Error(fmt::format("verify: module {}: {}", printName('@', module.name), message));
  };
  std::set<std::string> names;
  for (const Buffer& b : module.buffers) {
    std::string name = printName('%', b.name);
    if (b.name.empty()) fail("a buffer has an empty name");
    if (!names.insert(b.name).second) fail(fmt::format("duplicate buffer {}", name));
    if (b.size < 0) fail(fmt::format("buffer {} has a negative size {}", name, b.size));
    if (b.type == ScalarType::Bool) fail(fmt::format("buffer {} holds bool, which has no storage type", name));
    if (b.kind == BufferKind::Constant && int64_t(b.init.size()) != b.size)
      fail(fmt::format("const buffer {} has {} init values for {} elements", name, b.init.size(), b.size));
    if (b.kind == BufferKind::Extern && (b.size != 0 || b.offset >= 0 || !b.init.empty()))
      fail(fmt::format("extern buffer {} has a size, an offset or values in the IR (the caller binds it)", name));
  }
  names.clear();
  for (const Kernel& k : module.kernels) {
    if (k.name.empty()) fail("a kernel has an empty name");
    if (!names.insert(k.name).second) fail(fmt::format("duplicate kernel {}", printName('@', k.name)));
  }
  for (const Kernel& k : module.kernels) KernelVerifier(module, k).run();
  verifyMemoryPlan(module);
}

}  // namespace sigma

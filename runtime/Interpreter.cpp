// The interpreter compiles each kernel, once per call, into a tree of small
// closures: every expression node becomes a function pointer specialized for
// its operation and type, with buffer names resolved to module buffer
// indices and loop variables to frame slots. Executing then does no name
// lookups and no type dispatch beyond one indirect call per node. The
// closures are runtime/InterpreterEval.h; this file builds and runs them.
//
// Semantics beyond LoopIR.h's header comment, chosen to be well defined
// everywhere so that the interpreter can serve as the oracle:
//  - i32/i64 + - * and neg/abs wrap around (two's complement, as LLVM's
//    add/sub/mul without nsw); division or remainder by zero and MIN / -1
//    throw sigma::Error.
//  - f32 -> int casts truncate and saturate, NaN giving 0 (llvm.fptosi.sat);
//    i64 -> i32 keeps the low 32 bits.
//  - f32 comparisons are C's: <, <=, == are false on NaN, != is true.
//  - select evaluates both arms (as LLVM's select does), so an
//    out-of-bounds load in the arm not taken is still an error.
//  - const buffers are read from their `init` values; buffers[i] of a const
//    buffer is not read (it may be null).
#include "runtime/Interpreter.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <deque>
#include <limits>
#include <memory>
#include <span>
#include <tuple>
#include <type_traits>

#include "ir/Error.h"
#include "ir/LoopPrinter.h"
#include "runtime/InterpreterEval.h"

namespace sigma {

using namespace loop;

namespace {

using namespace interp;

// ------------------------------------------------------------ compiling

// Resolves one kernel's names and types into closures; rejects what it
// cannot run (unknown names, bool buffers, operand type mismatches), since
// the interpreter may be handed a module that was never verified.
class KernelCompiler {
 public:
  // A loop kernel's %step is frame slot 0 (the caller sets it each step).
  KernelCompiler(const Module& m, const Kernel& k, const std::vector<BufferRef>& refs)
      : module_(m), kernel_(k), refs_(refs) {
    if (k.role != KernelRole::Step) scope_.push_back(kLoopStepVar), depth_ = 1;
  }

  StmtCode compile(const Stmt& s) {
    if (!s) fail("null statement");
    StmtCode code;
    code.kind = s->kind;
    if (const For* f = as<For>(s)) {
      code.slot = int(scope_.size());
      code.extent = f->extent;
      scope_.push_back(f->var);
      depth_ = std::max(depth_, int(scope_.size()));
      code.body.push_back(compile(f->body));
      scope_.pop_back();
    } else if (const Store* st = as<Store>(s)) {
      code.buffer = buffer(st->buffer, "store to");
      const Buffer& b = module_.buffers[size_t(code.buffer)];
      if (b.kind == BufferKind::Constant) fail(fmt::format("stores into const buffer {}", printName('%', b.name)));
      code.index = index(st->index);
      code.value = compile(st->value);
      if (st->value->type != b.type)
        fail(fmt::format("stores a {} value into {} of type {}", scalarTypeName(st->value->type),
                         printName('%', b.name), scalarTypeName(b.type)));
      code.store = withNumericType(b.type, []<typename T>() -> StoreFn { return &execStore<T>; });
    } else if (const Prefetch* p = as<Prefetch>(s)) {
      code.buffer = buffer(p->buffer, "prefetch of");
      code.index = index(p->index);
    } else {
      for (const Stmt& child : as<Block>(s)->stmts) code.body.push_back(compile(child));
    }
    return code;
  }

  int depth() const { return depth_; }

 private:
  [[noreturn]] void fail(const std::string& message) const {
    throw Error(fmt::format("interpret: kernel {}: {}", printName('@', kernel_.name), message));
  }

  int buffer(const std::string& name, const char* access) const {
    int i = module_.bufferIndex(name);
    if (i < 0) fail(fmt::format("{} unknown buffer {}", access, printName('%', name)));
    if (!refs_[size_t(i)].data && refs_[size_t(i)].size > 0)
      fail(fmt::format("{} {}, which has no storage (a null pointer)", access, printName('%', name)));
    return i;
  }

  const Node* index(const Expr& e) {
    const Node* n = compile(e);
    if (e->type != ScalarType::I64) fail(fmt::format("index {} is not i64", printExpr(e)));
    return n;
  }

  void typeError(const Expr& e) const { fail(fmt::format("ill-typed expression {}", printExpr(e))); }

  const Node* compile(const Expr& e) {
    if (!e) fail("null expression");
    Node& n = nodes_.emplace_back();
    switch (e->kind) {
      case ExprKind::FloatImm: n.eval = &evalImm, n.imm.f = as<FloatImm>(e)->value; break;
      case ExprKind::IntImm: n.eval = &evalImm, n.imm.i64 = as<IntImm>(e)->value; break;
      case ExprKind::Var: {
        const std::string& name = as<Var>(e)->name;
        n.slot = -1;
        for (size_t d = scope_.size(); d-- > 0 && n.slot < 0;)  // innermost first
          if (scope_[d] == name) n.slot = int(d);
        if (n.slot < 0) fail(fmt::format("loop variable {} is not in scope", printName('%', name)));
        n.eval = &evalVar;
        break;
      }
      case ExprKind::Load: {
        const Load* l = as<Load>(e);
        n.slot = buffer(l->buffer, "load from");
        if (module_.buffers[size_t(n.slot)].type != l->type) typeError(e);
        n.a = index(l->index);
        n.eval = withNumericType(l->type, []<typename T>() -> EvalFn { return &evalLoad<T>; });
        break;
      }
      case ExprKind::Unary: {
        const Unary* u = as<Unary>(e);
        n.a = compile(u->a);
        bool intOk = u->op == UnaryOp::Neg || u->op == UnaryOp::Abs;
        if ((u->a->type != ScalarType::F32 && !intOk) || u->a->type == ScalarType::Bool || u->type != u->a->type)
          typeError(e);
        n.eval = withNumericType(u->a->type, [&]<typename T>() { return unaryFn<T>(u->op); });
        break;
      }
      case ExprKind::Binary: {
        const Binary* b = as<Binary>(e);
        n.a = compile(b->a), n.b = compile(b->b);
        ScalarType t = b->a->type;
        if (t != b->b->type || b->type != (isComparison(b->op) ? ScalarType::Bool : t)) typeError(e);
        if (t == ScalarType::F32 && b->op == BinaryOp::Mod) typeError(e);
        if (t == ScalarType::Bool) {
          if (b->op != BinaryOp::Eq && b->op != BinaryOp::Ne) typeError(e);
          n.eval = binaryFn<bool>(b->op);
        } else {
          n.eval = withNumericType(t, [&]<typename T>() { return binaryFn<T>(b->op); });
        }
        break;
      }
      case ExprKind::Select: {
        const Select* s = as<Select>(e);
        n.a = compile(s->cond), n.b = compile(s->trueValue), n.c = compile(s->falseValue);
        if (s->cond->type != ScalarType::Bool || s->trueValue->type != s->falseValue->type) typeError(e);
        n.eval = &evalSelect;
        break;
      }
      case ExprKind::MulAdd: {
        const MulAdd* m = as<MulAdd>(e);
        n.a = compile(m->a), n.b = compile(m->b), n.c = compile(m->c);
        n.eval = &evalMulAdd;
        break;
      }
      case ExprKind::Cast: {
        const Cast* c = as<Cast>(e);
        n.a = compile(c->a);
        if (c->type == ScalarType::Bool || c->a->type == ScalarType::Bool) typeError(e);
        n.eval = withNumericType(c->a->type, [&]<typename From>() {
          return withNumericType(c->type, []<typename To>() -> EvalFn { return &evalCast<From, To>; });
        });
        break;
      }
    }
    return &n;
  }

  const Module& module_;
  const Kernel& kernel_;
  const std::vector<BufferRef>& refs_;
  std::deque<Node> nodes_;  // a deque: children keep their addresses as it grows
  std::vector<std::string> scope_;
  int depth_ = 0;
};

// The interpreter's view of the buffers: storage and size of each, const
// buffers converted from their init values into `constants`.
using Constants = std::deque<std::tuple<std::vector<float>, std::vector<int32_t>, std::vector<int64_t>>>;
std::vector<BufferRef> bindBuffers(const Module& module, void* const* buffers, std::span<const int64_t> externSizes,
                                   Constants& constants) {
  std::vector<BufferRef> refs(module.buffers.size());
  for (size_t i = 0; i < module.buffers.size(); ++i) {
    const Buffer& b = module.buffers[i];
    if (b.type == ScalarType::Bool)
      throw Error(fmt::format("interpret: buffer {} holds bool, which has no storage type", printName('%', b.name)));
    refs[i].size = b.kind == BufferKind::Extern && i < externSizes.size() ? externSizes[i] : b.size;
    if (b.kind != BufferKind::Constant) {
      refs[i].data = buffers ? buffers[i] : nullptr;
      continue;
    }
    if (int64_t(b.init.size()) != b.size)
      throw Error(fmt::format("interpret: const buffer {} has {} init values for {} elements", printName('%', b.name),
                              b.init.size(), b.size));
    withNumericType(b.type, [&]<typename T>() {
      std::vector<T>& storage = std::get<std::vector<T>>(constants.emplace_back());
      storage.resize(b.init.size());
      T* data = storage.data();
      refs[i].data = data;
      for (size_t j = 0; j < b.init.size(); ++j) {
        if constexpr (std::is_same_v<T, float>)
          data[j] = b.init[j];
        else
          data[j] = saturatingFromFloat<T>(b.init[j]);  // as an f32 -> int cast would
      }
    });
  }
  return refs;
}

}  // namespace

void interpret(const Module& module, void* const* buffers) {
  Constants constants;  // a deque: earlier buffers keep their addresses
  std::vector<BufferRef> refs = bindBuffers(module, buffers, {}, constants);
  for (const Kernel& kernel : module.kernels) {
    if (kernel.role != KernelRole::Step) continue;  // the training loop's
    KernelCompiler compiler(module, kernel, refs);
    StmtCode code = compiler.compile(kernel.body);
    std::vector<int64_t> vars(size_t(compiler.depth()));
    Ctx ctx{vars.data(), refs.data(), &module, &kernel};
    exec(code, ctx);
  }
}

void interpretLoop(const Module& module, void* const* buffers, std::span<const int64_t> externSizes, int64_t begin,
                   int64_t end) {
  if (begin < 0 || end < begin) throw Error(fmt::format("interpret: the loop's steps [{}, {}) are not a range", begin, end));
  Constants constants;
  std::vector<BufferRef> refs = bindBuffers(module, buffers, externSizes, constants);
  // Compiled once, run every step: loop_in kernels, loop_ahead ones (but in
  // the last step), the step's, loop_out.
  struct Compiled {
    const Kernel* kernel;
    std::unique_ptr<KernelCompiler> compiler;
    StmtCode code;
    std::vector<int64_t> vars;
  };
  std::vector<Compiled> program;
  for (KernelRole role : {KernelRole::LoopIn, KernelRole::LoopAhead, KernelRole::Step, KernelRole::LoopOut})
    for (const Kernel& kernel : module.kernels) {
      if (kernel.role != role) continue;
      Compiled& c = program.emplace_back(Compiled{&kernel, std::make_unique<KernelCompiler>(module, kernel, refs), {}, {}});
      c.code = c.compiler->compile(kernel.body);
      c.vars.resize(size_t(std::max(1, c.compiler->depth())));
    }
  for (int64_t step = begin; step < end; ++step)
    for (Compiled& c : program) {
      if (c.kernel->role == KernelRole::LoopAhead && step + 1 == end) continue;
      if (c.kernel->role != KernelRole::Step) c.vars[0] = step;
      Ctx ctx{c.vars.data(), refs.data(), &module, c.kernel};
      exec(c.code, ctx);
    }
}

}  // namespace sigma

// The loop IR: kernels as loop nests over named, flat buffers.
//
// Small immutable node structs in the style of Halide's IR.h: each has a
// static make() that checks its operands, expressions and statements are
// shared pointers to const nodes, and passes rebuild what they change
// (IRMutator) or walk what they read (IRVisitor).
//
// A Module is one training step: buffers (inputs, parameters, constants,
// outputs, temporaries, optimizer state), and kernels run in order. Every
// buffer is flat; lowering linearizes multi-dimensional indices. Loop
// extents are compile-time constants (Sigma's shapes are static).
//
// A module may also hold the training loop around its step
// (passes/AddTrainingLoop.h): kernels of role loop_in, loop_ahead and
// loop_out, which run only in the compiled loop, for %step in [begin, end):
// every loop_in kernel, every loop_ahead kernel (see below), then the
// step's kernels, then every loop_out kernel, each in module order, with
// the loop variable %step (kLoopStepVar) bound in the loop kernels. They read and write extern buffers: storage the caller
// binds at run time (a data set's samples, the record of each step's
// results), whose size the IR does not know. A loop_ahead kernel runs
// after the loop_in kernels of every step but the call's last, so that it
// may read step %step + 1's entries of the order; it only prefetches (the
// verifier sees to it), so whether it runs changes no value.
//
// Scalar semantics (the interpreter and the LLVM code generator agree):
//  - f32 arithmetic is IEEE single precision, no fast-math reassociation.
//  - sign(x) = 1 if x > 0, -1 if x < 0, else 0 (so sign(0) = 0 and sign(NaN) = 0).
//  - min/max propagate NaN (llvm.minimum / llvm.maximum): a NaN operand gives NaN.
//  - tanh, exp and log are Sigma's vectorizable approximations
//    (ir/FastTanh.h, ir/FastExpLog.h); sqrt is correctly rounded.
//  - i64 division and remainder truncate toward zero, as in C.
//  - fma(a, b, c) rounds a·b + c once (C's fmaf, llvm.fma).
//  - comparisons produce bool; select(c, t, f) picks t where c is true.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ir/Type.h"

namespace sigma::loop {

enum class ScalarType : uint8_t { F32, I32, I64, Bool };
const char* scalarTypeName(ScalarType t);  // "f32", "i32", "i64", "bool"

// ---------------------------------------------------------------- expressions

enum class ExprKind : uint8_t { FloatImm, IntImm, Var, Load, Unary, Binary, Select, Cast, MulAdd };
enum class UnaryOp : uint8_t { Neg, Abs, Sign, Tanh, Exp, Log, Sqrt };
enum class BinaryOp : uint8_t { Add, Sub, Mul, Div, Mod, Min, Max, Lt, Le, Eq, Ne };
const char* unaryOpName(UnaryOp op);    // "neg", "abs", "sign", "tanh", ...
const char* binaryOpName(BinaryOp op);  // "add", "sub", ... "lt", "le", "eq", "ne"
bool isComparison(BinaryOp op);

struct ExprNode {
  const ExprKind kind;
  const ScalarType type;
  virtual ~ExprNode() = default;

 protected:
  ExprNode(ExprKind k, ScalarType t) : kind(k), type(t) {}
};
using Expr = std::shared_ptr<const ExprNode>;

struct FloatImm final : ExprNode {
  static constexpr ExprKind Kind = ExprKind::FloatImm;
  float value;
  static Expr make(float value);
  FloatImm(float v) : ExprNode(ExprKind::FloatImm, ScalarType::F32), value(v) {}
};

struct IntImm final : ExprNode {  // always i64: loop bounds and indices
  static constexpr ExprKind Kind = ExprKind::IntImm;
  int64_t value;
  static Expr make(int64_t value);
  IntImm(int64_t v) : ExprNode(ExprKind::IntImm, ScalarType::I64), value(v) {}
};

struct Var final : ExprNode {  // a loop index, i64
  static constexpr ExprKind Kind = ExprKind::Var;
  std::string name;
  static Expr make(std::string name);
  Var(std::string n) : ExprNode(ExprKind::Var, ScalarType::I64), name(std::move(n)) {}
};

struct Load final : ExprNode {  // buffer[index]; the type is the buffer's element type
  static constexpr ExprKind Kind = ExprKind::Load;
  std::string buffer;
  Expr index;
  static Expr make(std::string buffer, ScalarType type, Expr index);
  Load(std::string b, ScalarType t, Expr i)
      : ExprNode(ExprKind::Load, t), buffer(std::move(b)), index(std::move(i)) {}
};

struct Unary final : ExprNode {  // f32 operand (neg and abs also take i64)
  static constexpr ExprKind Kind = ExprKind::Unary;
  UnaryOp op;
  Expr a;
  static Expr make(UnaryOp op, Expr a);
  Unary(UnaryOp o, Expr x) : ExprNode(ExprKind::Unary, x->type), op(o), a(std::move(x)) {}
};

struct Binary final : ExprNode {  // operands of one type; comparisons give bool
  static constexpr ExprKind Kind = ExprKind::Binary;
  BinaryOp op;
  Expr a, b;
  static Expr make(BinaryOp op, Expr a, Expr b);
  Binary(BinaryOp o, ScalarType t, Expr x, Expr y)
      : ExprNode(ExprKind::Binary, t), op(o), a(std::move(x)), b(std::move(y)) {}
};

struct Select final : ExprNode {
  static constexpr ExprKind Kind = ExprKind::Select;
  Expr cond, trueValue, falseValue;
  static Expr make(Expr cond, Expr trueValue, Expr falseValue);
  Select(Expr c, Expr t, Expr f)
      : ExprNode(ExprKind::Select, t->type), cond(std::move(c)), trueValue(std::move(t)), falseValue(std::move(f)) {}
};

struct Cast final : ExprNode {  // between f32, i32 and i64 (f32 -> int truncates)
  static constexpr ExprKind Kind = ExprKind::Cast;
  Expr a;
  static Expr make(ScalarType to, Expr a);
  Cast(ScalarType to, Expr x) : ExprNode(ExprKind::Cast, to), a(std::move(x)) {}
};

// fma(a, b, c) = a·b + c with one rounding (f32): what a matmul accumulates
// with, so that code generation can use the FMA instruction.
struct MulAdd final : ExprNode {
  static constexpr ExprKind Kind = ExprKind::MulAdd;
  Expr a, b, c;
  static Expr make(Expr a, Expr b, Expr c);
  MulAdd(Expr x, Expr y, Expr z)
      : ExprNode(ExprKind::MulAdd, ScalarType::F32), a(std::move(x)), b(std::move(y)), c(std::move(z)) {}
};

// Downcast with a kind check: as<Load>(e) is nullptr unless e is a Load.
template <typename T>
const T* as(const Expr& e);

// Building expressions reads like arithmetic (both operands must be Exprs).
Expr operator+(Expr a, Expr b);
Expr operator-(Expr a, Expr b);
Expr operator*(Expr a, Expr b);
Expr operator/(Expr a, Expr b);
Expr f32(float v);    // FloatImm::make
Expr i64(int64_t v);  // IntImm::make

// ----------------------------------------------------------------- statements

enum class StmtKind : uint8_t { For, Store, Block, Prefetch };

struct StmtNode {
  const StmtKind kind;
  virtual ~StmtNode() = default;

 protected:
  explicit StmtNode(StmtKind k) : kind(k) {}
};
using Stmt = std::shared_ptr<const StmtNode>;

// for var in 0..extent { body }, or `for var in 0..extent parallel { body }`:
// a parallel loop's iterations touch disjoint elements of whatever it
// writes (passes/ParallelizeLoops.cpp proves it), so they may run on
// several threads in any order with the same results; the interpreter runs
// them in order. Only a kernel's top-level loops are parallel.
struct For final : StmtNode {
  static constexpr StmtKind Kind = StmtKind::For;
  std::string var;
  int64_t extent;
  Stmt body;
  bool parallel = false;
  static Stmt make(std::string var, int64_t extent, Stmt body, bool parallel = false);
  For(std::string v, int64_t e, Stmt b, bool p = false)
      : StmtNode(StmtKind::For), var(std::move(v)), extent(e), body(std::move(b)), parallel(p) {}
};

struct Store final : StmtNode {  // buffer[index] = value
  static constexpr StmtKind Kind = StmtKind::Store;
  std::string buffer;
  Expr index, value;
  static Stmt make(std::string buffer, Expr index, Expr value);
  Store(std::string b, Expr i, Expr v)
      : StmtNode(StmtKind::Store), buffer(std::move(b)), index(std::move(i)), value(std::move(v)) {}
};

// prefetch buffer[index]: a hint that the element is read soon, so that
// its cache line is on its way (llvm.prefetch); it changes no value. Its
// index is evaluated and bounds-checked as a load's. Only the training
// loop's kernels prefetch: they sit out every pass (passes/PassManager.h),
// none of which has to know that a prefetch reads a buffer.
struct Prefetch final : StmtNode {
  static constexpr StmtKind Kind = StmtKind::Prefetch;
  std::string buffer;
  Expr index;
  static Stmt make(std::string buffer, Expr index);
  Prefetch(std::string b, Expr i) : StmtNode(StmtKind::Prefetch), buffer(std::move(b)), index(std::move(i)) {}
};

struct Block final : StmtNode {
  static constexpr StmtKind Kind = StmtKind::Block;
  std::vector<Stmt> stmts;
  static Stmt make(std::vector<Stmt> stmts);
  explicit Block(std::vector<Stmt> s) : StmtNode(StmtKind::Block), stmts(std::move(s)) {}
};

template <typename T>
const T* as(const Stmt& s);

// --------------------------------------------------------------------- module

// Extern: storage the caller binds before running (runtime/Executable.h),
// not part of the step's arena; its size is 0 in the IR (printed `f32[]`)
// and known only at run time, so the verifier cannot bound its indices.
enum class BufferKind : uint8_t { Input, Parameter, Constant, Output, Temp, State, Extern };
// "input", "param", "const", "output", "temp", "state", "extern"
const char* bufferKindName(BufferKind k);

struct Buffer {
  std::string name;
  ScalarType type = ScalarType::F32;
  int64_t size = 0;                // elements
  BufferKind kind = BufferKind::Temp;
  std::vector<float> init;         // Constant buffers: `size` values
  // Temp buffers placed by memory planning: byte offset into the step's
  // shared temporary arena (buffers whose lifetimes do not overlap share
  // memory); -1 means storage of its own.
  int64_t offset = -1;
};

// Step kernels are the training step (the entry point runs them once);
// loop_in, loop_ahead and loop_out kernels belong to the compiled training
// loop only (see the top of this file).
enum class KernelRole : uint8_t { Step, LoopIn, LoopOut, LoopAhead };
const char* kernelRoleName(KernelRole r);  // "step", "loop_in", "loop_out", "loop_ahead"
// The loop variable of the training loop, bound in the training loop's kernels.
inline constexpr const char* kLoopStepVar = "step";

struct Kernel {
  std::string name;
  std::vector<std::string> origin;  // the graph nodes it computes (provenance)
  Stmt body;
  KernelRole role = KernelRole::Step;

  // One of its top-level loops (in blocks, not in other loops: the verifier
  // allows no other parallel loop) is parallel, a task for the thread pool.
  bool hasParallelLoop() const;
};

struct Module {
  std::string name = "main";
  std::vector<Buffer> buffers;
  std::vector<Kernel> kernels;

  const Buffer* findBuffer(const std::string& name) const;
  // Bytes of the shared temporary arena (the end of the furthest planned temp).
  int64_t tempArenaBytes() const;
  int bufferIndex(const std::string& name) const;  // -1 when absent
  bool hasTrainingLoop() const;  // some kernel has a role other than step
};

int64_t elementBytes(ScalarType type);  // 4, 4, 8, 1

// ------------------------------------------------------------ implementation

template <typename T>
const T* as(const Expr& e) {
  return e && e->kind == T::Kind ? static_cast<const T*>(e.get()) : nullptr;
}
template <typename T>
const T* as(const Stmt& s) {
  return s && s->kind == T::Kind ? static_cast<const T*>(s.get()) : nullptr;
}

}  // namespace sigma::loop

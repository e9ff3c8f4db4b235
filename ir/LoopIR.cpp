#include "ir/LoopIR.h"

#include <algorithm>

#include "ir/Error.h"

namespace sigma::loop {

const char* scalarTypeName(ScalarType t) {
  static const char* names[] = {"f32", "i32", "i64", "bool"};
  return names[int(t)];
}
const char* unaryOpName(UnaryOp op) {
  static const char* names[] = {"neg", "abs", "sign", "tanh", "exp", "log", "sqrt"};
  return names[int(op)];
}
const char* binaryOpName(BinaryOp op) {
  static const char* names[] = {"add", "sub", "mul", "div", "mod", "min", "max", "lt", "le", "eq", "ne"};
  return names[int(op)];
}
bool isComparison(BinaryOp op) { return op >= BinaryOp::Lt; }
const char* bufferKindName(BufferKind k) {
  static const char* names[] = {"input", "param", "const", "output", "temp", "state", "extern"};
  return names[int(k)];
}
const char* kernelRoleName(KernelRole r) {
  static const char* names[] = {"step", "loop_in", "loop_out", "loop_ahead"};
  return names[int(r)];
}

bool Kernel::hasParallelLoop() const {
  std::vector<Stmt> pending = {body};
  while (!pending.empty()) {
    Stmt s = pending.back();
    pending.pop_back();
    if (const Block* b = as<Block>(s)) pending.insert(pending.end(), b->stmts.begin(), b->stmts.end());
    if (const For* f = as<For>(s); f && f->parallel) return true;
  }
  return false;
}

Expr FloatImm::make(float value) { return std::make_shared<FloatImm>(value); }
Expr IntImm::make(int64_t value) { return std::make_shared<IntImm>(value); }

Expr Var::make(std::string name) {
  if (name.empty()) fail("loop IR: a loop variable needs a name");
  return std::make_shared<Var>(std::move(name));
}

Expr Load::make(std::string buffer, ScalarType type, Expr index) {
  if (!index || index->type != ScalarType::I64)
    fail("loop IR: load from '{}' needs an i64 index", buffer);
  return std::make_shared<Load>(std::move(buffer), type, std::move(index));
}

Expr Unary::make(UnaryOp op, Expr a) {
  if (!a) fail("loop IR: {} without an operand", unaryOpName(op));
  bool intOk = op == UnaryOp::Neg || op == UnaryOp::Abs;
  if (a->type != ScalarType::F32 && !(intOk && (a->type == ScalarType::I64 || a->type == ScalarType::I32)))
    fail("loop IR: {} of a {} operand", unaryOpName(op), scalarTypeName(a->type));
  return std::make_shared<Unary>(op, std::move(a));
}

Expr Binary::make(BinaryOp op, Expr a, Expr b) {
  if (!a || !b) fail("loop IR: {} without both operands", binaryOpName(op));
  if (a->type != b->type)
    fail("loop IR: {} of {} and {} operands", binaryOpName(op), scalarTypeName(a->type), scalarTypeName(b->type));
  if (a->type == ScalarType::Bool && !(op == BinaryOp::Eq || op == BinaryOp::Ne))
    fail("loop IR: {} of bool operands", binaryOpName(op));
  if (op == BinaryOp::Mod && a->type == ScalarType::F32) fail("loop IR: mod of f32 operands");
  ScalarType t = isComparison(op) ? ScalarType::Bool : a->type;
  return std::make_shared<Binary>(op, t, std::move(a), std::move(b));
}

Expr Select::make(Expr cond, Expr t, Expr f) {
  if (!cond || cond->type != ScalarType::Bool) fail("loop IR: select needs a bool condition");
  if (!t || !f || t->type != f->type) fail("loop IR: select arms must have one type");
  return std::make_shared<Select>(std::move(cond), std::move(t), std::move(f));
}

Expr MulAdd::make(Expr a, Expr b, Expr c) {
  if (!a || !b || !c) fail("loop IR: fma without three operands");
  if (a->type != ScalarType::F32 || b->type != ScalarType::F32 || c->type != ScalarType::F32)
    fail("loop IR: fma of non-f32 operands");
  return std::make_shared<MulAdd>(std::move(a), std::move(b), std::move(c));
}

Expr Cast::make(ScalarType to, Expr a) {
  if (!a || a->type == ScalarType::Bool || to == ScalarType::Bool) fail("loop IR: cast to or from bool");
  return std::make_shared<Cast>(to, std::move(a));
}

Expr operator+(Expr a, Expr b) { return Binary::make(BinaryOp::Add, std::move(a), std::move(b)); }
Expr operator-(Expr a, Expr b) { return Binary::make(BinaryOp::Sub, std::move(a), std::move(b)); }
Expr operator*(Expr a, Expr b) { return Binary::make(BinaryOp::Mul, std::move(a), std::move(b)); }
Expr operator/(Expr a, Expr b) { return Binary::make(BinaryOp::Div, std::move(a), std::move(b)); }
Expr f32(float v) { return FloatImm::make(v); }
Expr i64(int64_t v) { return IntImm::make(v); }

Stmt For::make(std::string var, int64_t extent, Stmt body, bool parallel) {
  if (extent < 0) fail("loop IR: loop '{}' has a negative extent {}", var, extent);
  if (!body) fail("loop IR: loop '{}' has no body", var);
  return std::make_shared<For>(std::move(var), extent, std::move(body), parallel);
}

Stmt Store::make(std::string buffer, Expr index, Expr value) {
  if (!index || index->type != ScalarType::I64) fail("loop IR: store to '{}' needs an i64 index", buffer);
  if (!value) fail("loop IR: store to '{}' without a value", buffer);
  return std::make_shared<Store>(std::move(buffer), std::move(index), std::move(value));
}

Stmt Prefetch::make(std::string buffer, Expr index) {
  if (!index || index->type != ScalarType::I64) fail("loop IR: prefetch of '{}' needs an i64 index", buffer);
  return std::make_shared<Prefetch>(std::move(buffer), std::move(index));
}

Stmt Block::make(std::vector<Stmt> stmts) {
  for (const Stmt& s : stmts)
    if (!s) fail("loop IR: null statement in a block");
  return std::make_shared<Block>(std::move(stmts));
}

const Buffer* Module::findBuffer(const std::string& name) const {
  int i = bufferIndex(name);
  return i < 0 ? nullptr : &buffers[i];
}

int64_t elementBytes(ScalarType type) { return type == ScalarType::I64 ? 8 : type == ScalarType::Bool ? 1 : 4; }

int64_t Module::tempArenaBytes() const {
  int64_t end = 0;
  for (const Buffer& b : buffers)
    if (b.offset >= 0) end = std::max(end, b.offset + b.size * elementBytes(b.type));
  return end;
}

bool Module::hasTrainingLoop() const {
  for (const Kernel& k : kernels)
    if (k.role != KernelRole::Step) return true;
  return false;
}

int Module::bufferIndex(const std::string& name) const {
  for (size_t i = 0; i < buffers.size(); ++i)
    if (buffers[i].name == name) return int(i);
  return -1;
}

}  // namespace sigma::loop

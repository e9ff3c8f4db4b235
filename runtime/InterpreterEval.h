// What the interpreter (runtime/Interpreter.cpp) compiles a kernel into: a
// tree of closures. Each expression node holds a function pointer
// specialized for its operation and type, and buffer names are resolved to
// module buffer indices and loop variables to frame slots, so evaluating
// does no name lookups and no type dispatch beyond one indirect call per
// node. The semantics are Interpreter.cpp's header comment's. Internal to
// the interpreter.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include <fmt/format.h>

#include "ir/Error.h"
#include "ir/FastExpLog.h"
#include "ir/FastTanh.h"
#include "ir/LoopIR.h"
#include "ir/LoopPrinter.h"

namespace sigma::interp {

using namespace loop;

union Value {
  float f;
  int32_t i32;
  int64_t i64;
  bool b;
};

template <typename T>
T get(Value v) {
  if constexpr (std::is_same_v<T, float>) return v.f;
  if constexpr (std::is_same_v<T, int32_t>) return v.i32;
  if constexpr (std::is_same_v<T, int64_t>) return v.i64;
  if constexpr (std::is_same_v<T, bool>) return v.b;
}

template <typename T>
Value wrap(T x) {
  Value v;
  if constexpr (std::is_same_v<T, float>) v.f = x;
  if constexpr (std::is_same_v<T, int32_t>) v.i32 = x;
  if constexpr (std::is_same_v<T, int64_t>) v.i64 = x;
  if constexpr (std::is_same_v<T, bool>) v.b = x;
  return v;
}

struct BufferRef {
  void* data = nullptr;
  int64_t size = 0;
};

struct Ctx {
  int64_t* vars;             // loop variables by slot (= loop depth)
  const BufferRef* buffers;  // by module buffer index
  const Module* module;
  const Kernel* kernel;
};

struct Node;
using EvalFn = Value (*)(const Node&, Ctx&);

struct Node {
  EvalFn eval = nullptr;
  Value imm{};
  int slot = 0;  // Var: frame slot; Load: buffer index
  const Node *a = nullptr, *b = nullptr, *c = nullptr;
};

inline Value run(const Node* n, Ctx& c) { return n->eval(*n, c); }

[[noreturn]] inline void failIn(const Ctx& c, const std::string& message) {
  throw Error(fmt::format("interpret: kernel {}: {}", printName('@', c.kernel->name), message));
}

[[noreturn]] inline void outOfBounds(const Ctx& c, const char* access, int buffer, int64_t index) {
  const Buffer& b = c.module->buffers[size_t(buffer)];
  failIn(c, fmt::format("{} {}[{}] is out of bounds (the buffer has {} elements)", access, printName('%', b.name),
                        index, c.buffers[buffer].size));
}

// ------------------------------------------------------------- leaves

inline Value evalImm(const Node& n, Ctx&) { return n.imm; }
inline Value evalVar(const Node& n, Ctx& c) { return wrap<int64_t>(c.vars[n.slot]); }

template <typename T>
Value evalLoad(const Node& n, Ctx& c) {
  int64_t i = run(n.a, c).i64;
  const BufferRef& b = c.buffers[n.slot];
  if (i < 0 || i >= b.size) outOfBounds(c, "load from", n.slot, i);
  return wrap<T>(static_cast<const T*>(b.data)[i]);
}

// ---------------------------------------------------------- arithmetic

// Two's complement wraparound without signed-overflow UB.
template <typename T>
T wrapping(uint64_t x) {
  return static_cast<T>(static_cast<std::make_unsigned_t<T>>(x));
}

template <UnaryOp Op, typename T>
Value evalUnary(const Node& n, Ctx& c) {
  T x = get<T>(run(n.a, c));
  if constexpr (std::is_same_v<T, float>) {
    switch (Op) {
      case UnaryOp::Neg: return wrap(-x);
      case UnaryOp::Abs: return wrap(std::fabs(x));
      case UnaryOp::Sign: return wrap(x > 0.0f ? 1.0f : x < 0.0f ? -1.0f : 0.0f);  // NaN -> 0
      case UnaryOp::Tanh: return wrap(fasttanh::tanh(x));  // ir/FastTanh.h
      case UnaryOp::Exp: return wrap(fastexplog::exp(x));  // ir/FastExpLog.h
      case UnaryOp::Log: return wrap(fastexplog::log(x));
      case UnaryOp::Sqrt: return wrap(::sqrtf(x));
    }
  } else {
    if (Op == UnaryOp::Neg || (Op == UnaryOp::Abs && x < 0)) return wrap(wrapping<T>(0 - uint64_t(x)));
    if (Op == UnaryOp::Abs) return wrap(x);
  }
  failIn(c, fmt::format("{} of a non-f32 operand", unaryOpName(Op)));
}

// llvm.minimum / llvm.maximum: NaN in, NaN out; -0 orders below +0.
inline float minimum(float a, float b) {
  if (std::isnan(a) || std::isnan(b)) return a + b;
  if (a == b) return std::signbit(a) ? a : b;
  return a < b ? a : b;
}
inline float maximum(float a, float b) {
  if (std::isnan(a) || std::isnan(b)) return a + b;
  if (a == b) return std::signbit(a) ? b : a;
  return a > b ? a : b;
}

template <BinaryOp Op, typename T>
Value evalBinary(const Node& n, Ctx& c) {
  T x = get<T>(run(n.a, c)), y = get<T>(run(n.b, c));
  switch (Op) {
    case BinaryOp::Lt: return wrap(x < y);
    case BinaryOp::Le: return wrap(x <= y);
    case BinaryOp::Eq: return wrap(x == y);
    case BinaryOp::Ne: return wrap(x != y);
    default: break;
  }
  if constexpr (std::is_same_v<T, float>) {
    // Each operation is its own statement, so no compiler may fuse a
    // multiply into a following add (FMA contraction is per expression).
    switch (Op) {
      case BinaryOp::Add: return wrap(x + y);
      case BinaryOp::Sub: return wrap(x - y);
      case BinaryOp::Mul: return wrap(x * y);
      case BinaryOp::Div: return wrap(x / y);
      case BinaryOp::Min: return wrap(minimum(x, y));
      case BinaryOp::Max: return wrap(maximum(x, y));
      default: break;
    }
  } else if constexpr (!std::is_same_v<T, bool>) {
    switch (Op) {
      case BinaryOp::Add: return wrap(wrapping<T>(uint64_t(x) + uint64_t(y)));
      case BinaryOp::Sub: return wrap(wrapping<T>(uint64_t(x) - uint64_t(y)));
      case BinaryOp::Mul: return wrap(wrapping<T>(uint64_t(x) * uint64_t(y)));
      case BinaryOp::Div:
      case BinaryOp::Mod:
        if (y == 0) failIn(c, fmt::format("{} by zero", binaryOpName(Op)));
        if (y == -1 && x == std::numeric_limits<T>::min())
          failIn(c, fmt::format("{} overflows: {} by -1", binaryOpName(Op), x));
        return wrap(T(Op == BinaryOp::Div ? x / y : x % y));
      case BinaryOp::Min: return wrap(x < y ? x : y);
      case BinaryOp::Max: return wrap(x > y ? x : y);
      default: break;
    }
  }
  failIn(c, fmt::format("{} of unsupported operands", binaryOpName(Op)));
}

inline Value evalMulAdd(const Node& n, Ctx& c) {
  return wrap(std::fmaf(get<float>(run(n.a, c)), get<float>(run(n.b, c)), get<float>(run(n.c, c))));
}

inline Value evalSelect(const Node& n, Ctx& c) {
  bool cond = run(n.a, c).b;
  Value t = run(n.b, c), f = run(n.c, c);
  return cond ? t : f;
}

template <typename To>
To saturatingFromFloat(float x) {
  if (std::isnan(x)) return 0;
  // 2^31 and 2^63 are exact in f32; the bounds are checked before converting.
  constexpr float limit = std::is_same_v<To, int32_t> ? 2147483648.0f : 9223372036854775808.0f;
  if (x >= limit) return std::numeric_limits<To>::max();
  if (x < -limit) return std::numeric_limits<To>::min();
  return static_cast<To>(x);
}

template <typename From, typename To>
Value evalCast(const Node& n, Ctx& c) {
  From x = get<From>(run(n.a, c));
  if constexpr (std::is_same_v<From, float> && !std::is_same_v<To, float>)
    return wrap(saturatingFromFloat<To>(x));
  else
    return wrap(static_cast<To>(x));  // int -> f32 rounds to nearest; i64 -> i32 wraps (C++20)
}

// ------------------------------------------------------------ dispatch

// Calls f.template operator()<T>() with T the C++ type of a numeric type
// (the compiler rejects bool operands before dispatching).
template <typename F>
auto withNumericType(ScalarType t, F f) {
  if (t == ScalarType::F32) return f.template operator()<float>();
  if (t == ScalarType::I32) return f.template operator()<int32_t>();
  return f.template operator()<int64_t>();
}

template <typename T>
EvalFn unaryFn(UnaryOp op) {
  switch (op) {
#define SIGMA_UNARY(o) case UnaryOp::o: return &evalUnary<UnaryOp::o, T>;
    SIGMA_UNARY(Neg) SIGMA_UNARY(Abs) SIGMA_UNARY(Sign) SIGMA_UNARY(Tanh) SIGMA_UNARY(Exp) SIGMA_UNARY(Log)
    SIGMA_UNARY(Sqrt)
#undef SIGMA_UNARY
  }
  return nullptr;
}

template <typename T>
EvalFn binaryFn(BinaryOp op) {
  switch (op) {
#define SIGMA_BINARY(o) case BinaryOp::o: return &evalBinary<BinaryOp::o, T>;
    SIGMA_BINARY(Add) SIGMA_BINARY(Sub) SIGMA_BINARY(Mul) SIGMA_BINARY(Div) SIGMA_BINARY(Mod) SIGMA_BINARY(Min)
    SIGMA_BINARY(Max) SIGMA_BINARY(Lt) SIGMA_BINARY(Le) SIGMA_BINARY(Eq) SIGMA_BINARY(Ne)
#undef SIGMA_BINARY
  }
  return nullptr;
}

// --------------------------------------------------------- statements

struct StmtCode;
using StoreFn = void (*)(const StmtCode&, Ctx&);

struct StmtCode {
  StmtKind kind = StmtKind::Block;
  int slot = 0;                // For: the loop variable's frame slot
  int64_t extent = 0;          // For
  std::vector<StmtCode> body;  // For: one statement; Block: its statements
  int buffer = 0;              // Store, Prefetch
  const Node *index = nullptr, *value = nullptr;
  StoreFn store = nullptr;
};

template <typename T>
void execStore(const StmtCode& s, Ctx& c) {
  int64_t i = run(s.index, c).i64;
  T v = get<T>(run(s.value, c));
  const BufferRef& b = c.buffers[s.buffer];
  if (i < 0 || i >= b.size) outOfBounds(c, "store to", s.buffer, i);
  static_cast<T*>(b.data)[i] = v;
}

// A prefetch changes nothing; its index is checked as a load's would be.
inline void execPrefetch(const StmtCode& s, Ctx& c) {
  int64_t i = run(s.index, c).i64;
  if (i < 0 || i >= c.buffers[s.buffer].size) outOfBounds(c, "prefetch of", s.buffer, i);
}

inline void exec(const StmtCode& s, Ctx& c) {
  switch (s.kind) {
    case StmtKind::For:
      for (int64_t i = 0; i < s.extent; ++i) {
        c.vars[s.slot] = i;
        exec(s.body[0], c);
      }
      return;
    case StmtKind::Store: return s.store(s, c);
    case StmtKind::Prefetch: return execPrefetch(s, c);
    case StmtKind::Block:
      for (const StmtCode& child : s.body) exec(child, c);
      return;
  }
}

}  // namespace sigma::interp

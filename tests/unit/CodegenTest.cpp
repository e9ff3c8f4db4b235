// The LLVM code generator against the reference interpreter: every module is
// run through both, and every buffer must come out bit for bit the same
// (both use IEEE f32 without contraction and the same libm tanhf/expf/logf).
#include <gtest/gtest.h>

#include <bit>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "codegen/JitModule.h"
#include "ir/Error.h"
#include "ir/LoopIR.h"
#include "runtime/Interpreter.h"

using namespace sigma;
using namespace sigma::loop;
using sigma::codegen::JitModule;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr int32_t kI32Max = std::numeric_limits<int32_t>::max();
constexpr int64_t kI64Min = std::numeric_limits<int64_t>::min();

// f32 values that exercise every corner of IEEE arithmetic and of libm.
const std::vector<float> kSpecials = {0.0f, -0.0f, 1.0f, -1.0f, 0.5f, -2.5f, 3.0f, 1e-40f, -1e-40f,
                                      std::numeric_limits<float>::min(), std::numeric_limits<float>::max(),
                                      -std::numeric_limits<float>::max(), 88.7f, -104.0f, 1e-7f, 20.0f,
                                      kInf, -kInf, kNaN, -kNaN, 3.14159265f};

// Storage for every buffer of a module, 8-byte aligned, filled
// deterministically: random values for f32/i32/i64, then what a test sets.
class Storage {
 public:
  explicit Storage(const Module& m, uint32_t seed = 1) : module_(&m) {
    for (const Buffer& b : m.buffers) {
      data_.emplace_back((size_t(b.size) * size_t(loop::elementBytes(b.type)) + 7) / 8 + 1);
      for (int64_t i = 0; i < b.size; ++i) {
        seed = seed * 1664525u + 1013904223u;
        int32_t r = int32_t(seed >> 8) % 1000;  // -999..999
        if (b.type == ScalarType::F32) f32(b.name)[i] = float(r) / 250.0f;
        if (b.type == ScalarType::I32) i32(b.name)[i] = r;
        if (b.type == ScalarType::I64) i64(b.name)[i] = int64_t(r) * 1000003;
      }
    }
  }

  float* f32(const std::string& name) { return static_cast<float*>(raw(name)); }
  int32_t* i32(const std::string& name) { return static_cast<int32_t*>(raw(name)); }
  int64_t* i64(const std::string& name) { return static_cast<int64_t*>(raw(name)); }
  const float* f32(const std::string& name) const { return const_cast<Storage*>(this)->f32(name); }

  template <typename T>
  void set(const std::string& name, const std::vector<T>& values) {
    const Buffer* b = module_->findBuffer(name);
    ASSERT_TRUE(b) << name;
    ASSERT_EQ(int64_t(values.size()), b->size) << name;
    std::memcpy(raw(name), values.data(), values.size() * sizeof(T));
  }

  // buffers[i] for the entry point; const buffers get null (neither backend
  // may read them: both take the values from Buffer::init).
  std::vector<void*> pointers() {
    std::vector<void*> p;
    for (size_t i = 0; i < data_.size(); ++i)
      p.push_back(module_->buffers[i].kind == BufferKind::Constant ? nullptr : data_[i].data());
    return p;
  }

  const void* raw(size_t i) const { return data_[i].data(); }

 private:
  void* raw(const std::string& name) {
    int i = module_->bufferIndex(name);
    if (i < 0) throw Error("test: no buffer " + name);
    return data_[size_t(i)].data();
  }
  const Module* module_;
  std::vector<std::vector<int64_t>> data_;
};

std::string describe(ScalarType t, const void* p) {
  switch (t) {
    case ScalarType::F32: {
      float f;
      std::memcpy(&f, p, 4);
      return fmt::format("{} (0x{:08x})", f, std::bit_cast<uint32_t>(f));
    }
    case ScalarType::I32: return std::to_string(*static_cast<const int32_t*>(p));
    case ScalarType::I64: return std::to_string(*static_cast<const int64_t*>(p));
    case ScalarType::Bool: return std::to_string(int(*static_cast<const uint8_t*>(p)));
  }
  return "?";
}

// Every element of every buffer, compared bitwise.
void expectIdentical(const Module& m, const Storage& jit, const Storage& reference, const std::string& what = "") {
  int mismatches = 0;
  for (size_t i = 0; i < m.buffers.size(); ++i) {
    const Buffer& b = m.buffers[i];
    size_t w = size_t(loop::elementBytes(b.type));
    for (int64_t e = 0; e < b.size; ++e) {
      const char* x = static_cast<const char*>(jit.raw(i)) + e * w;
      const char* y = static_cast<const char*>(reference.raw(i)) + e * w;
      if (std::memcmp(x, y, w) == 0) continue;
      if (++mismatches <= 8)
        ADD_FAILURE() << what << " buffer " << b.name << "[" << e << "]: jit " << describe(b.type, x)
                      << ", interpreter " << describe(b.type, y);
    }
  }
  EXPECT_EQ(mismatches, 0) << what;
}

struct Results {
  Storage jit, reference;
};

Results runBoth(const Module& m, const Storage& input, int optLevel = 3) {
  Results r{input, input};
  auto jit = JitModule::compile(m, {.optLevel = optLevel});
  jit->entry()(r.jit.pointers().data());
  interpret(m, r.reference.pointers().data());
  return r;
}

void checkAgainstInterpreter(const Module& m, const Storage& input, int optLevel = 3) {
  Results r = runBoth(m, input, optLevel);
  expectIdentical(m, r.jit, r.reference, "O" + std::to_string(optLevel));
}

// ------------------------------------------------------------ IR building

Buffer buffer(std::string name, ScalarType type, int64_t size, BufferKind kind = BufferKind::Temp) {
  Buffer b;
  b.name = std::move(name), b.type = type, b.size = size, b.kind = kind;
  return b;
}

Expr v(const std::string& name) { return Var::make(name); }
Expr load(const std::string& buf, ScalarType t, Expr index) { return Load::make(buf, t, std::move(index)); }
Expr lf(const std::string& buf, Expr index) { return load(buf, ScalarType::F32, std::move(index)); }
Expr un(UnaryOp op, Expr a) { return Unary::make(op, std::move(a)); }
Expr bin(BinaryOp op, Expr a, Expr b) { return Binary::make(op, std::move(a), std::move(b)); }

// kernel `name`: for i in 0..n { out[i] = value(i) }
Kernel elementwise(const std::string& name, const std::string& out, int64_t n, Expr value) {
  return Kernel{name, {}, For::make("i", n, Store::make(out, v("i"), std::move(value)))};
}

// out[i*n+j] = sum_k a[i*k+kk] * b[kk*n+j], with an accumulating store.
Module matmulModule(int64_t M, int64_t N, int64_t K) {
  Module m;
  m.name = "matmul";
  m.buffers = {buffer("a", ScalarType::F32, M * K, BufferKind::Input),
               buffer("b", ScalarType::F32, K * N, BufferKind::Parameter),
               buffer("c", ScalarType::F32, M * N, BufferKind::Output)};
  Expr ci = v("i") * i64(N) + v("j");
  Stmt init = Store::make("c", ci, f32(0.0f));
  Stmt acc = Store::make("c", ci, lf("c", ci) + lf("a", v("i") * i64(K) + v("k")) * lf("b", v("k") * i64(N) + v("j")));
  Stmt body = Block::make({init, For::make("k", K, acc)});
  m.kernels.push_back(Kernel{"matmul_3", {"matmul"}, For::make("i", M, For::make("j", N, body))});
  return m;
}

// Four kernels, each reading what an earlier one wrote, with a const
// buffer, an in-place state update and a reduction.
Module pipelineModule(int64_t n) {
  Module m;
  m.name = "pipeline";
  Buffer scale = buffer("scale", ScalarType::F32, n, BufferKind::Constant);
  for (int64_t i = 0; i < n; ++i) scale.init.push_back(0.25f * float(i % 7) - 0.5f);
  m.buffers = {buffer("x", ScalarType::F32, n, BufferKind::Input), scale, buffer("t", ScalarType::F32, n),
               buffer("y", ScalarType::F32, n, BufferKind::Output), buffer("s", ScalarType::F32, 1, BufferKind::Output),
               buffer("w", ScalarType::F32, n, BufferKind::State)};
  Expr i = v("i");
  m.kernels.push_back(elementwise("affine_0", "t", n, lf("x", i) * lf("scale", i) + f32(1.0f)));
  m.kernels.push_back(elementwise("tanh_1", "y", n, un(UnaryOp::Tanh, lf("t", i)) * un(UnaryOp::Exp, lf("t", i))));
  m.kernels.push_back(Kernel{"sum_2", {}, Block::make({Store::make("s", i64(0), f32(0.0f)),
                                                      For::make("i", n, Store::make("s", i64(0), lf("s", i64(0)) + lf("y", i)))})});
  m.kernels.push_back(elementwise("update_3", "w", n, lf("w", i) - f32(0.1f) * lf("y", i) * lf("s", i64(0))));
  return m;
}

// ------------------------------------------------------------------ tests

TEST(Codegen, UnaryF32MatchesInterpreter) {
  const int64_t n = 64;
  Module m;
  m.name = "unary";
  m.buffers.push_back(buffer("x", ScalarType::F32, n, BufferKind::Input));
  const UnaryOp ops[] = {UnaryOp::Neg, UnaryOp::Abs, UnaryOp::Sign, UnaryOp::Tanh,
                         UnaryOp::Exp, UnaryOp::Log, UnaryOp::Sqrt};
  for (UnaryOp op : ops) {
    std::string out = std::string("out_") + unaryOpName(op);
    m.buffers.push_back(buffer(out, ScalarType::F32, n, BufferKind::Output));
    m.kernels.push_back(elementwise(std::string(unaryOpName(op)) + "_k", out, n, un(op, lf("x", v("i")))));
  }
  Storage input(m);
  std::vector<float> x(n);
  for (int64_t i = 0; i < n; ++i) x[i] = i < int64_t(kSpecials.size()) ? kSpecials[i] : float(i - 40) * 0.37f;
  input.set("x", x);
  checkAgainstInterpreter(m, input);
}

TEST(Codegen, BinaryF32AndComparisonsMatchInterpreter) {
  const int64_t s = int64_t(kSpecials.size()), n = s * s;  // every pair of special values
  Module m;
  m.name = "binary";
  m.buffers = {buffer("x", ScalarType::F32, n, BufferKind::Input), buffer("y", ScalarType::F32, n, BufferKind::Input)};
  const BinaryOp ops[] = {BinaryOp::Add, BinaryOp::Sub, BinaryOp::Mul, BinaryOp::Div, BinaryOp::Min,
                          BinaryOp::Max, BinaryOp::Lt,  BinaryOp::Le,  BinaryOp::Eq,  BinaryOp::Ne};
  Expr x = lf("x", v("i")), y = lf("y", v("i"));
  for (BinaryOp op : ops) {
    std::string out = std::string("out_") + binaryOpName(op);
    m.buffers.push_back(buffer(out, ScalarType::F32, n, BufferKind::Output));
    // A comparison picks between the operands themselves (a select on
    // floats); a bool result also feeds eq/ne on bools.
    Expr value = isComparison(op) ? Select::make(bin(op, x, y), x, y) : bin(op, x, y);
    m.kernels.push_back(elementwise(std::string(binaryOpName(op)) + "_k", out, n, value));
  }
  m.buffers.push_back(buffer("out_booleq", ScalarType::F32, n, BufferKind::Output));
  m.kernels.push_back(elementwise(
      "booleq_k", "out_booleq", n,
      Select::make(bin(BinaryOp::Eq, bin(BinaryOp::Lt, x, y), bin(BinaryOp::Ne, x, y)), f32(1.0f), f32(-1.0f))));
  Storage input(m);
  std::vector<float> xs(n), ys(n);
  for (int64_t i = 0; i < n; ++i) {
    xs[i] = kSpecials[i / s], ys[i] = kSpecials[i % s];
    // Which of two NaN operands an operation returns is unspecified in
    // LLVM (and in C): see TwoNaNOperandsGiveSomeNaN.
    if (std::isnan(xs[i]) && std::isnan(ys[i])) ys[i] = 1.0f;
  }
  input.set("x", xs);
  input.set("y", ys);
  checkAgainstInterpreter(m, input);
}

// With two NaN operands of different signs, x86 returns the first one, but
// both compilers may commute operands (LLVM lowers llvm.maximum with the
// operands swapped), so only NaN-ness is specified; the bits may differ
// between the JIT and the interpreter. One NaN operand propagates exactly.
TEST(Codegen, TwoNaNOperandsGiveSomeNaN) {
  const int64_t n = 2;
  Module m;
  m.name = "nans";
  m.buffers = {buffer("x", ScalarType::F32, n, BufferKind::Input), buffer("y", ScalarType::F32, n, BufferKind::Input)};
  Expr x = lf("x", v("i")), y = lf("y", v("i"));
  for (BinaryOp op : {BinaryOp::Add, BinaryOp::Mul, BinaryOp::Min, BinaryOp::Max}) {
    std::string out = std::string("out_") + binaryOpName(op);
    m.buffers.push_back(buffer(out, ScalarType::F32, n, BufferKind::Output));
    m.kernels.push_back(elementwise(std::string(binaryOpName(op)) + "_k", out, n, bin(op, x, y)));
  }
  Storage input(m);
  input.set("x", std::vector<float>{kNaN, -kNaN});
  input.set("y", std::vector<float>{-kNaN, kNaN});
  Results r = runBoth(m, input);
  for (const char* out : {"out_add", "out_mul", "out_min", "out_max"})
    for (int64_t i = 0; i < n; ++i) {
      EXPECT_TRUE(std::isnan(r.jit.f32(out)[i])) << out << "[" << i << "]";
      EXPECT_TRUE(std::isnan(r.reference.f32(out)[i])) << out << "[" << i << "]";
    }
}

template <typename T>
void checkIntegerOps(ScalarType type) {
  std::vector<T> as = {0, 1, -1, 7, -7, 100, -123, 1 << 20, std::numeric_limits<T>::max(),
                       std::numeric_limits<T>::min(), 42, -42};
  std::vector<T> bs = {3, -3, 1, 2, -5, 7, 1000, -1000, 13, 2, 9, -11};  // never 0 or -1: no trapping division
  const int64_t n = int64_t(as.size());
  Module m;
  m.name = "integers";
  m.buffers = {buffer("a", type, n, BufferKind::Input), buffer("b", type, n, BufferKind::Input)};
  Expr a = load("a", type, v("i")), b = load("b", type, v("i"));
  auto add = [&](const std::string& name, Expr value) {
    m.buffers.push_back(buffer("out_" + name, value->type, n, BufferKind::Output));
    m.kernels.push_back(elementwise(name + "_k", "out_" + name, n, value));
  };
  for (BinaryOp op : {BinaryOp::Add, BinaryOp::Sub, BinaryOp::Mul, BinaryOp::Div, BinaryOp::Mod, BinaryOp::Min,
                      BinaryOp::Max})
    add(binaryOpName(op), bin(op, a, b));
  for (BinaryOp op : {BinaryOp::Lt, BinaryOp::Le, BinaryOp::Eq, BinaryOp::Ne})
    add(binaryOpName(op), Select::make(bin(op, a, b), a, b));
  add("neg", un(UnaryOp::Neg, a));
  add("abs", un(UnaryOp::Abs, a));
  add("tof32", Cast::make(ScalarType::F32, a));
  add("widen", Cast::make(ScalarType::I64, a));
  add("narrow", Cast::make(ScalarType::I32, a));
  Storage input(m);
  input.set("a", as);
  input.set("b", bs);
  checkAgainstInterpreter(m, input);
}

TEST(Codegen, I32OpsMatchInterpreter) { checkIntegerOps<int32_t>(ScalarType::I32); }
TEST(Codegen, I64OpsMatchInterpreter) { checkIntegerOps<int64_t>(ScalarType::I64); }

TEST(Codegen, CastsSaturateAndMatchInterpreter) {
  std::vector<float> xs = {0.0f, -0.0f, 0.9f, -0.9f, 2.5f, -2.5f, 1e9f, -1e9f, 3e9f, -3e9f, 1e19f, -1e19f,
                           2147483648.0f, -2147483648.0f, kInf, -kInf, kNaN, 123456.7f};
  const int64_t n = int64_t(xs.size());
  Module m;
  m.name = "casts";
  m.buffers = {buffer("x", ScalarType::F32, n, BufferKind::Input), buffer("i", ScalarType::I32, n, BufferKind::Output),
               buffer("l", ScalarType::I64, n, BufferKind::Output), buffer("back", ScalarType::F32, n, BufferKind::Output),
               buffer("index", ScalarType::F32, n, BufferKind::Output)};
  m.kernels.push_back(elementwise("toi32_0", "i", n, Cast::make(ScalarType::I32, lf("x", v("i")))));
  m.kernels.push_back(elementwise("toi64_1", "l", n, Cast::make(ScalarType::I64, lf("x", v("i")))));
  m.kernels.push_back(elementwise("back_2", "back", n,
                                  Cast::make(ScalarType::F32, load("l", ScalarType::I64, v("i"))) +
                                      Cast::make(ScalarType::F32, load("i", ScalarType::I32, v("i")))));
  m.kernels.push_back(elementwise("index_3", "index", n, Cast::make(ScalarType::F32, v("i") * i64(3))));
  Storage input(m);
  input.set("x", xs);
  Results r = runBoth(m, input);
  expectIdentical(m, r.jit, r.reference);
  EXPECT_EQ(r.jit.i32("i")[16], 0);          // NaN -> 0
  EXPECT_EQ(r.jit.i32("i")[8], kI32Max);     // 3e9 saturates
  EXPECT_EQ(r.jit.i64("l")[11], kI64Min);    // -1e19 saturates
  EXPECT_EQ(r.jit.i32("i")[5], -2);          // truncates toward zero
}

TEST(Codegen, MatmulMatchesInterpreter) {
  for (auto [M, N, K] : {std::tuple<int64_t, int64_t, int64_t>{7, 9, 5}, {16, 16, 16}, {1, 33, 17}}) {
    Module m = matmulModule(M, N, K);
    checkAgainstInterpreter(m, Storage(m, uint32_t(M * 100 + N)));
  }
}

TEST(Codegen, ReductionsMatchInterpreter) {
  const int64_t n = 1000;
  Module m;
  m.name = "reduce";
  m.buffers = {buffer("x", ScalarType::F32, n, BufferKind::Input), buffer("z", ScalarType::F32, n, BufferKind::Input),
               buffer("sum", ScalarType::F32, 1, BufferKind::Output), buffer("max", ScalarType::F32, 1, BufferKind::Output),
               buffer("nanmin", ScalarType::F32, 1, BufferKind::Output)};
  auto reduce = [&](const std::string& name, const std::string& out, const std::string& in, BinaryOp op, float init) {
    Expr acc = lf(out, i64(0));
    m.kernels.push_back(Kernel{name, {}, Block::make({Store::make(out, i64(0), f32(init)),
                                                     For::make("i", n, Store::make(out, i64(0), bin(op, acc, lf(in, v("i")))))})});
  };
  reduce("sum_0", "sum", "x", BinaryOp::Add, 0.0f);
  reduce("max_1", "max", "x", BinaryOp::Max, -kInf);
  reduce("min_2", "nanmin", "z", BinaryOp::Min, kInf);
  Storage input(m);
  std::vector<float> z(n);
  for (int64_t i = 0; i < n; ++i) z[i] = float(i % 13) - 6.0f;
  z[500] = kNaN;
  input.set("z", z);
  Results r = runBoth(m, input);
  expectIdentical(m, r.jit, r.reference);
  EXPECT_TRUE(std::isnan(r.jit.f32("nanmin")[0]));
  // The sum is sequential, in index order: no reassociation.
  float sum = 0.0f;
  for (int64_t i = 0; i < n; ++i) sum += r.jit.f32("x")[i];
  EXPECT_EQ(std::bit_cast<uint32_t>(sum), std::bit_cast<uint32_t>(r.jit.f32("sum")[0]));
}

TEST(Codegen, MultiKernelPipelineMatchesInterpreter) {
  Module m = pipelineModule(100);
  checkAgainstInterpreter(m, Storage(m, 7));
}

TEST(Codegen, SpecialValues) {
  // x: the operand; y: a second operand for min/max.
  std::vector<float> xs = {0.0f, -0.0f, kNaN, kInf, -kInf, -1.0f, 0.0f, -0.0f};
  std::vector<float> ys = {-0.0f, 0.0f, 1.0f, kNaN, 0.0f, 0.0f, kInf, kInf};
  const int64_t n = int64_t(xs.size());
  Module m;
  m.name = "specials";
  m.buffers = {buffer("x", ScalarType::F32, n, BufferKind::Input), buffer("y", ScalarType::F32, n, BufferKind::Input)};
  Expr x = lf("x", v("i")), y = lf("y", v("i"));
  auto add = [&](const std::string& name, Expr value) {
    m.buffers.push_back(buffer(name, ScalarType::F32, n, BufferKind::Output));
    m.kernels.push_back(elementwise(name + "_k", name, n, value));
  };
  add("sign", un(UnaryOp::Sign, x));
  add("neg", un(UnaryOp::Neg, x));
  add("abs", un(UnaryOp::Abs, x));
  add("min", bin(BinaryOp::Min, x, y));
  add("max", bin(BinaryOp::Max, x, y));
  add("mul", x * y);
  add("div", x / y);
  add("sqrt", un(UnaryOp::Sqrt, x));
  add("log", un(UnaryOp::Log, x));
  add("exp", un(UnaryOp::Exp, x));
  add("tanh", un(UnaryOp::Tanh, x));
  Storage input(m);
  input.set("x", xs);
  input.set("y", ys);
  Results r = runBoth(m, input);
  expectIdentical(m, r.jit, r.reference);

  auto bits = [](float f) { return std::bit_cast<uint32_t>(f); };
  Storage& j = r.jit;
  EXPECT_EQ(bits(j.f32("sign")[0]), bits(0.0f));  // sign(0) = 0
  EXPECT_EQ(bits(j.f32("sign")[1]), bits(0.0f));  // sign(-0) = +0
  EXPECT_EQ(bits(j.f32("sign")[2]), bits(0.0f));  // sign(NaN) = 0
  EXPECT_EQ(j.f32("sign")[4], -1.0f);
  EXPECT_EQ(bits(j.f32("neg")[0]), bits(-0.0f));
  EXPECT_EQ(bits(j.f32("abs")[1]), bits(0.0f));
  EXPECT_EQ(bits(j.f32("min")[0]), bits(-0.0f));  // min(+0, -0) = -0
  EXPECT_EQ(bits(j.f32("max")[0]), bits(0.0f));   // max(+0, -0) = +0
  EXPECT_EQ(bits(j.f32("min")[1]), bits(-0.0f));
  EXPECT_TRUE(std::isnan(j.f32("max")[2]));       // NaN in, NaN out
  EXPECT_TRUE(std::isnan(j.f32("min")[3]));
  EXPECT_TRUE(std::isnan(j.f32("mul")[3]));       // inf * NaN
  EXPECT_TRUE(std::isnan(j.f32("mul")[6]));       // 0 * inf
  EXPECT_EQ(j.f32("div")[5], -kInf);              // -1 / 0
  EXPECT_TRUE(std::isnan(j.f32("sqrt")[5]));      // sqrt(-1)
  EXPECT_EQ(bits(j.f32("sqrt")[1]), bits(-0.0f)); // sqrt(-0) = -0
  EXPECT_EQ(j.f32("log")[0], -kInf);
  EXPECT_TRUE(std::isnan(j.f32("log")[5]));
  EXPECT_EQ(j.f32("exp")[4], 0.0f);
  EXPECT_EQ(j.f32("exp")[3], kInf);
  EXPECT_EQ(j.f32("tanh")[3], 1.0f);
  EXPECT_EQ(j.f32("tanh")[4], -1.0f);
}

TEST(Codegen, ConstantBuffersComeFromInitNotFromTheCaller) {
  const int64_t n = 6;
  Module m;
  m.name = "consts";
  Buffer cf = buffer("cf", ScalarType::F32, n, BufferKind::Constant);
  cf.init = {1.5f, -0.0f, kInf, 2.0f, -3.25f, 1e-40f};
  Buffer ci = buffer("ci", ScalarType::I32, n, BufferKind::Constant);
  ci.init = {1.9f, -1.9f, 3e9f, -3e9f, kNaN, 7.0f};
  m.buffers = {cf, ci, buffer("out", ScalarType::F32, n, BufferKind::Output)};
  m.kernels.push_back(elementwise("use_0", "out", n,
                                  lf("cf", v("i")) + Cast::make(ScalarType::F32, load("ci", ScalarType::I32, v("i")))));
  Results r = runBoth(m, Storage(m));  // Storage passes null for const buffers
  expectIdentical(m, r.jit, r.reference);
  EXPECT_EQ(r.jit.f32("out")[0], 2.5f);
  EXPECT_EQ(r.jit.f32("out")[2], kInf);
}

TEST(Codegen, EmptyLoopsShadowedVariablesAndEmptyModules) {
  Module m;
  m.name = "edges";
  m.buffers = {buffer("o", ScalarType::F32, 12, BufferKind::Output)};
  // The inner `i` shadows the outer one; the zero-extent loop never runs.
  Stmt inner = For::make("i", 3, Store::make("o", v("j") * i64(3) + v("i"), Cast::make(ScalarType::F32, v("i"))));
  m.kernels.push_back(Kernel{"shadow_0", {}, For::make("i", 2, For::make("j", 4, inner))});
  m.kernels.push_back(Kernel{"never_1", {}, For::make("i", 0, Store::make("o", i64(100), f32(1.0f)))});
  checkAgainstInterpreter(m, Storage(m));

  Module empty;
  empty.name = "empty";
  auto jit = JitModule::compile(empty);
  jit->entry()(nullptr);
}

TEST(Codegen, OptimizationLevelsAgree) {
  Module m = pipelineModule(37);
  Module mm = matmulModule(5, 13, 8);
  Results reference = runBoth(m, Storage(m, 3), 0);
  expectIdentical(m, reference.jit, reference.reference, "O0");
  for (int level = 1; level <= 3; ++level) {
    checkAgainstInterpreter(m, Storage(m, 3), level);
    checkAgainstInterpreter(mm, Storage(mm, 4), level);
    Results r = runBoth(m, Storage(m, 3), level);
    expectIdentical(m, r.jit, reference.jit, "O" + std::to_string(level) + " vs O0");
  }
}

TEST(Codegen, TextOutputs) {
  Module m = matmulModule(8, 8, 8);
  auto jit = JitModule::compile(m);
  const std::string& ir = jit->llvmIR();
  EXPECT_NE(ir.find("define"), std::string::npos);
  EXPECT_NE(ir.find("@sigma_step(ptr"), std::string::npos) << ir;
  const std::string& raw = jit->unoptimizedLLVMIR();
  EXPECT_NE(raw.find("define internal void @matmul_3(ptr noalias"), std::string::npos) << raw;
  EXPECT_NE(raw.find("\"target-cpu\""), std::string::npos);
  const std::string& asm_ = jit->assembly();
  EXPECT_NE(asm_.find("matmul_3:"), std::string::npos) << asm_;
  EXPECT_NE(asm_.find("sigma_step:"), std::string::npos);
  EXPECT_NE(asm_.find("\tret"), std::string::npos);
  EXPECT_EQ(&jit->assembly(), &asm_);  // made once
  const std::string& target = jit->targetDescription();
  EXPECT_EQ(target.rfind("x86_64 ", 0), 0u) << target;

  // With AVX2 on the host, an elementwise kernel is vectorized with it (or
  // with AVX-512's zmm registers where the host has those).
  if (target.find("+avx2") != std::string::npos) {
    Module e;
    e.name = "vec";
    e.buffers = {buffer("x", ScalarType::F32, 1024, BufferKind::Input), buffer("y", ScalarType::F32, 1024, BufferKind::Output)};
    e.kernels.push_back(elementwise("scale_0", "y", 1024, lf("x", v("i")) * f32(3.0f) + f32(1.0f)));
    auto vec = JitModule::compile(e);
    const std::string& code = vec->assembly();
    EXPECT_TRUE(code.find("ymm") != std::string::npos || code.find("zmm") != std::string::npos) << code;
  }
}

TEST(Codegen, SeparateModulesCompileAndRunConcurrently) {
  Module a = matmulModule(12, 10, 9);
  Module b = pipelineModule(64);
  Storage inA(a, 11), inB(b, 12);
  Storage refA = inA, refB = inB;
  interpret(a, refA.pointers().data());
  interpret(b, refB.pointers().data());
  Storage outA = inA, outB = inB;
  std::string errorA, errorB;
  auto work = [](const Module& m, Storage& s, std::string& error) {
    try {
      auto jit = JitModule::compile(m);
      jit->entry()(s.pointers().data());
      (void)jit->assembly();
    } catch (const std::exception& e) {
      error = e.what();
    }
  };
  std::thread ta(work, std::cref(a), std::ref(outA), std::ref(errorA));
  std::thread tb(work, std::cref(b), std::ref(outB), std::ref(errorB));
  ta.join();
  tb.join();
  EXPECT_EQ(errorA, "");
  EXPECT_EQ(errorB, "");
  expectIdentical(a, outA, refA, "thread a");
  expectIdentical(b, outB, refB, "thread b");
}

void expectError(const Module& m, const std::string& fragment, int optLevel = 3) {
  try {
    JitModule::compile(m, {.optLevel = optLevel});
    ADD_FAILURE() << "expected an error containing: " << fragment;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

TEST(Codegen, RejectsMalformedModulesWithClearErrors) {
  Module base;
  base.name = "bad";
  base.buffers = {buffer("x", ScalarType::F32, 4, BufferKind::Input), buffer("k", ScalarType::I32, 4, BufferKind::Input)};
  expectError(base, "optimization level 4", 4);

  Module unknown = base;
  unknown.kernels.push_back(elementwise("copy_0", "nowhere", 4, lf("x", v("i"))));
  expectError(unknown, "buffer 'nowhere'");

  Module mistyped = base;
  mistyped.kernels.push_back(elementwise("copy_0", "x", 4, lf("k", v("i"))));
  expectError(mistyped, "loads a f32 from i32 buffer 'k'");

  Module unbound = base;
  unbound.kernels.push_back(elementwise("copy_0", "x", 4, Cast::make(ScalarType::F32, v("j"))));
  expectError(unbound, "loop variable 'j'");

  Module reserved = base;
  reserved.kernels.push_back(elementwise("sigma_step", "x", 4, f32(0.0f)));
  expectError(reserved, "reserved");

  Module twice = base;
  twice.kernels.push_back(elementwise("k_0", "x", 4, f32(0.0f)));
  twice.kernels.push_back(elementwise("k_0", "x", 4, f32(1.0f)));
  expectError(twice, "two kernels named 'k_0'");

  Module constStore = base;
  Buffer c = buffer("c", ScalarType::F32, 4, BufferKind::Constant);
  c.init = {1, 2, 3, 4};
  constStore.buffers.push_back(c);
  constStore.kernels.push_back(elementwise("w_0", "c", 4, f32(0.0f)));
  expectError(constStore, "const buffer 'c'");
}

TEST(Codegen, SmallModuleCompilesQuickly) {
  Module m = pipelineModule(256);
  auto start = std::chrono::steady_clock::now();
  auto jit = JitModule::compile(m);
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  RecordProperty("compile_ms", std::to_string(ms));
  std::printf("[ info ] 4-kernel module compiled at O3 in %.1f ms for %s\n", ms, jit->targetDescription().c_str());
  EXPECT_LT(ms, 10000.0);  // generous: shared CI machines, Debug builds
}

}  // namespace

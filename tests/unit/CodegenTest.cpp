// The LLVM code generator against the reference interpreter: every module is
// run through both, and every buffer must come out bit for bit the same
// (both use IEEE f32 without contraction and the same libm tanhf/expf/logf).
#include <gtest/gtest.h>

#include <tuple>

#include "CodegenTestSupport.h"

using namespace sigma;
using namespace sigma::loop;
using namespace sigma::codegentest;

namespace {

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

}  // namespace

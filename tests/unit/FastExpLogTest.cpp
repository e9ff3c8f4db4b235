// Sigma's exp and log (ir/FastExpLog.h): their accuracy against double
// precision, their special values, and the JIT computing exactly the
// interpreter's bits for them, vectorized.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <vector>

#include "codegen/JitModule.h"
#include "ir/FastExpLog.h"
#include "runtime/Executable.h"

using namespace sigma;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
const float kNaN = std::numeric_limits<float>::quiet_NaN();

TEST(FastExp, IsWithinThreeTenMillionthsRelativeOverItsRange) {
  double worst = 0, at = 0;
  for (double x = -86.9; x <= 88.72; x += 1e-3) {
    const float xf = float(x);
    const double want = std::exp(double(xf)), err = std::fabs(double(fastexplog::exp(xf)) - want) / want;
    if (err > worst) worst = err, at = x;
  }
  EXPECT_LT(worst, 3e-7) << "at x = " << at;
  std::printf("[ info ] fast exp: max relative error %.3g at x = %.4f\n", worst, at);
}

TEST(FastExp, SpecialValues) {
  EXPECT_EQ(fastexplog::exp(0.0f), 1.0f);
  EXPECT_EQ(fastexplog::exp(-0.0f), 1.0f);
  EXPECT_EQ(fastexplog::exp(1.0f), std::exp(1.0f));
  EXPECT_EQ(fastexplog::exp(kInf), kInf);
  EXPECT_EQ(fastexplog::exp(89.0f), kInf);  // overflows, as expf
  EXPECT_EQ(fastexplog::exp(-kInf), 0.0f);
  EXPECT_EQ(fastexplog::exp(-90.0f), 0.0f);  // below 2e-38: flushed
  EXPECT_TRUE(std::isnan(fastexplog::exp(kNaN)));
  EXPECT_GT(fastexplog::exp(88.72f), 3.3e38f);  // n = 128 still scales exactly
  EXPECT_NEAR(fastexplog::exp(-86.8f) / std::exp(double(-86.8f)), 1.0, 1e-6);  // n = -125
}

TEST(FastLog, IsWithinTwoTenMillionthsRelativeEverywhere) {
  double worst = 0, at = 0;
  // Log-spaced over the whole positive range, subnormals included.
  for (double x = 1e-45; x < 3e38; x *= 1.0001) {
    const float xf = float(x);
    if (xf == 0.0f) continue;
    const double want = std::log(double(xf));
    const double err = std::fabs(double(fastexplog::log(xf)) - want) / std::max(std::fabs(want), 0.5);
    if (err > worst) worst = err, at = x;
  }
  EXPECT_LT(worst, 2e-7) << "at x = " << at;
  std::printf("[ info ] fast log: max relative error %.3g at x = %.4g\n", worst, at);
  double nearOne = 0;  // absolute error around 1, where log crosses 0
  for (double x = 0.5; x <= 2.0; x += 1e-6) {
    const float xf = float(x);
    nearOne = std::max(nearOne, std::fabs(double(fastexplog::log(xf)) - std::log(double(xf))));
  }
  EXPECT_LT(nearOne, 1e-7);
}

TEST(FastLog, SpecialValues) {
  EXPECT_EQ(fastexplog::log(1.0f), 0.0f);
  EXPECT_EQ(fastexplog::log(0.0f), -kInf);
  EXPECT_EQ(fastexplog::log(-0.0f), -kInf);
  EXPECT_EQ(fastexplog::log(kInf), kInf);
  EXPECT_TRUE(std::isnan(fastexplog::log(-1.0f)));
  EXPECT_TRUE(std::isnan(fastexplog::log(-kInf)));
  EXPECT_TRUE(std::isnan(fastexplog::log(kNaN)));
  EXPECT_NEAR(fastexplog::log(1e-45f), std::log(double(1e-45f)), 1e-5);  // the smallest subnormal
  EXPECT_NEAR(fastexplog::log(2.0f), std::log(2.0), 1e-7);
}

// Both through the JIT (vectorized: the loop has no call left) and the
// interpreter, over ordinary and special inputs: the same bits.
TEST(FastExpLog, JitAndInterpreterAgreeBitForBitAndTheLoopIsVectorized) {
  using namespace loop;
  std::vector<float> xs;
  for (int k = -4000; k < 4000; ++k) xs.push_back(float(k) / 40.0f);  // [-100, 100)
  for (float v : {0.0f, -0.0f, kInf, -kInf, kNaN, 1e-45f, 1e-39f, 1.17549435e-38f, 88.7228f, 88.73f, -86.9f,
                  -86.91f, 3.4e38f, 1.41421356f, 0.70710678f})
    xs.push_back(v);
  while (xs.size() % 16) xs.push_back(0.5f);
  const int64_t n = int64_t(xs.size());
  Module m;
  m.name = "explog";
  m.buffers = {{"x", ScalarType::F32, n, BufferKind::Input, {}},
               {"e", ScalarType::F32, n, BufferKind::Output, {}},
               {"l", ScalarType::F32, n, BufferKind::Output, {}}};
  Expr i = Var::make("i"), x = Load::make("x", ScalarType::F32, i);
  m.kernels.push_back({"exp_log", {}, For::make("i", n, Block::make({Store::make("e", i, Unary::make(UnaryOp::Exp, x)),
                                                                       Store::make("l", i, Unary::make(UnaryOp::Log, x))}))});
  Executable jit(m, {Backend::JIT}), ref(m, {Backend::Interpreter});
  std::copy(xs.begin(), xs.end(), jit.f32("x").begin());
  std::copy(xs.begin(), xs.end(), ref.f32("x").begin());
  jit.run(), ref.run();
  for (int64_t k = 0; k < n; ++k) {
    ASSERT_EQ(std::bit_cast<uint32_t>(jit.f32("e")[k]), std::bit_cast<uint32_t>(ref.f32("e")[k])) << "exp " << xs[k];
    ASSERT_EQ(std::bit_cast<uint32_t>(jit.f32("l")[k]), std::bit_cast<uint32_t>(ref.f32("l")[k])) << "log " << xs[k];
    ASSERT_EQ(std::bit_cast<uint32_t>(ref.f32("e")[k]), std::bit_cast<uint32_t>(fastexplog::exp(xs[k])));
  }
  const std::string& ir = jit.jit()->llvmIR();
  EXPECT_EQ(ir.find("expf"), std::string::npos);
  EXPECT_EQ(ir.find("logf"), std::string::npos);
  // <8 x float> on AVX2, <16 x float> on AVX-512.
  EXPECT_NE(ir.find(" x float> @llvm.floor"), std::string::npos) << "the exp/log loop is not vectorized";
}

}  // namespace

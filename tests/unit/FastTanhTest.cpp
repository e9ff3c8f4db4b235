// Sigma's tanh approximation (ir/FastTanh.h): its accuracy against the
// double-precision tanh, its special values, and the JIT computing exactly
// the interpreter's bits for it.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "ir/FastTanh.h"
#include "runtime/Executable.h"

using namespace sigma;

TEST(FastTanh, IsWithinOneMillionthOfTanhEverywhere) {
  double worst = 0, at = 0;
  for (double x = -20; x <= 20; x += 1e-4) {
    double err = std::fabs(double(fasttanh::tanh(float(x))) - std::tanh(double(float(x))));
    if (err > worst) worst = err, at = x;
  }
  EXPECT_LT(worst, 1e-6) << "at x = " << at;
  std::printf("[ info ] fast tanh: max abs error %.3g at x = %.4f\n", worst, at);
}

TEST(FastTanh, SpecialValues) {
  EXPECT_EQ(fasttanh::tanh(0.0f), 0.0f);
  EXPECT_TRUE(std::signbit(fasttanh::tanh(-0.0f)));
  EXPECT_TRUE(std::isnan(fasttanh::tanh(std::numeric_limits<float>::quiet_NaN())));
  float inf = std::numeric_limits<float>::infinity();
  EXPECT_NEAR(fasttanh::tanh(inf), 1.0f, 1e-6f);
  EXPECT_NEAR(fasttanh::tanh(-inf), -1.0f, 1e-6f);
  for (float x : {0.1f, 0.5f, 1.0f, 3.0f, 7.0f}) EXPECT_EQ(fasttanh::tanh(-x), -fasttanh::tanh(x));
  EXPECT_EQ(fasttanh::tanh(1e-5f), 1e-5f);  // |x| < 0.0004: tanh(x) = x
}

TEST(FastTanh, JitAndInterpreterAgreeBitForBit) {
  using namespace loop;
  const int64_t n = 4096;
  Module m;
  m.buffers = {{"x", ScalarType::F32, n, BufferKind::Input, {}}, {"y", ScalarType::F32, n, BufferKind::Output, {}}};
  Expr i = Var::make("i");
  m.kernels.push_back({"tanh", {}, For::make("i", n, Store::make("y", i, Unary::make(UnaryOp::Tanh, Load::make("x", ScalarType::F32, i))))});
  Executable jit(m, {Backend::JIT}), ref(m, {Backend::Interpreter});
  for (int64_t k = 0; k < n; ++k) jit.f32("x")[k] = ref.f32("x")[k] = float(k - n / 2) / 200.0f;
  jit.run(), ref.run();
  for (int64_t k = 0; k < n; ++k) ASSERT_EQ(jit.f32("y")[k], ref.f32("y")[k]) << "x = " << jit.f32("x")[k];
}

// The reference interpreter: results, the scalar semantics of LoopIR.h, and
// its run-time errors.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "ir/Error.h"
#include "ir/LoopParser.h"
#include "ir/FastExpLog.h"
#include "ir/FastTanh.h"
#include "runtime/Interpreter.h"

using namespace sigma;

namespace {

const float kNaN = std::numeric_limits<float>::quiet_NaN();
const float kInf = std::numeric_limits<float>::infinity();

std::string interpretError(const loop::Module& m, void* const* buffers) {
  try {
    interpret(m, buffers);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST(Interpreter, Matmul) {
  loop::Module m = parseModule(R"(module @mm {
  buffer %x : f32[8] input
  buffer %w : f32[6] param
  buffer %y : f32[12] output
  kernel @matmul {
    for %i in 0..4 {
      for %j in 0..3 {
        %y[%i * 3 + %j] = 0.0
        for %k in 0..2 {
          %y[%i * 3 + %j] = %y[%i * 3 + %j] + %x[%i * 2 + %k] * %w[%j * 2 + %k]
        }
      }
    }
  }
})");
  std::vector<float> x = {1, 2, 3, 4, 5, 6, 7, 8}, w = {0.5f, -1, 2, 0.25f, -3, 1}, y(12, -99.0f);
  void* buffers[] = {x.data(), w.data(), y.data()};
  interpret(m, buffers);
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 3; ++j) {
      float expected = 0.0f;
      for (int k = 0; k < 2; ++k) expected = expected + x[i * 2 + k] * w[j * 2 + k];
      EXPECT_EQ(y[i * 3 + j], expected) << i << "," << j;
    }
}

TEST(Interpreter, ReductionAccumulatesInF32InLoopOrder) {
  loop::Module m = parseModule(R"(module @sum {
  buffer %x : f32[1000] input
  buffer %scale : f32[1] const = [0.001]
  buffer %mean : f32[1] output
  kernel @sum {
    %mean[0] = 0.0
    for %i in 0..1000 {
      %mean[0] = %mean[0] + %x[%i]
    }
    %mean[0] = %mean[0] * %scale[0]
  }
})");
  std::vector<float> x(1000);
  for (size_t i = 0; i < x.size(); ++i) x[i] = 0.1f * float(i % 7) + 1e-4f * float(i);
  float mean = -1;
  void* buffers[] = {x.data(), nullptr, &mean};  // const buffers come from their init values
  interpret(m, buffers);
  float expected = 0.0f;
  for (float v : x) expected = expected + v;  // float, not double, accumulation
  expected = expected * 0.001f;
  EXPECT_EQ(std::bit_cast<uint32_t>(mean), std::bit_cast<uint32_t>(expected));
}

TEST(Interpreter, SignMinMaxFollowLLVMSemantics) {
  loop::Module m = parseModule(R"(module @sem {
  buffer %a : f32[7] input
  buffer %b : f32[7] input
  buffer %sign : f32[7] output
  buffer %min : f32[7] output
  buffer %max : f32[7] output
  kernel @k {
    for %i in 0..7 {
      %sign[%i] = sign(%a[%i])
      %min[%i] = min(%a[%i], %b[%i])
      %max[%i] = max(%a[%i], %b[%i])
    }
  }
})");
  std::vector<float> a = {kNaN, 1.0f, -0.0f, 0.0f, 3.0f, -2.0f, -kInf};
  std::vector<float> b = {1.0f, kNaN, 0.0f, -0.0f, -4.0f, 5.0f, 7.0f};
  std::vector<float> sign(7), mn(7), mx(7);
  void* buffers[] = {a.data(), b.data(), sign.data(), mn.data(), mx.data()};
  interpret(m, buffers);
  // sign: NaN, +-0 -> 0
  EXPECT_EQ(sign, (std::vector<float>{0, 1, 0, 0, 1, -1, -1}));
  EXPECT_FALSE(std::signbit(sign[2]));
  // min/max: a NaN operand on either side gives NaN
  EXPECT_TRUE(std::isnan(mn[0]) && std::isnan(mn[1]) && std::isnan(mx[0]) && std::isnan(mx[1]));
  // -0 < +0 in either operand order
  EXPECT_TRUE(mn[2] == 0 && std::signbit(mn[2]));
  EXPECT_TRUE(mn[3] == 0 && std::signbit(mn[3]));
  EXPECT_TRUE(mx[2] == 0 && !std::signbit(mx[2]));
  EXPECT_TRUE(mx[3] == 0 && !std::signbit(mx[3]));
  EXPECT_EQ(mn[4], -4.0f);
  EXPECT_EQ(mx[4], 3.0f);
  EXPECT_EQ(mn[5], -2.0f);
  EXPECT_EQ(mx[5], 5.0f);
  EXPECT_EQ(mn[6], -kInf);
  EXPECT_EQ(mx[6], 7.0f);
}

TEST(Interpreter, TranscendentalsAreSigmasApproximationsAndSqrtIsExact) {
  loop::Module m = parseModule(R"(module @t {
  buffer %a : f32[3] input
  buffer %o : f32[12] output
  kernel @k {
    for %i in 0..3 {
      %o[%i] = tanh(%a[%i])
      %o[%i + 3] = exp(%a[%i])
      %o[%i + 6] = log(%a[%i])
      %o[%i + 9] = sqrt(%a[%i])
    }
  }
})");
  std::vector<float> a = {0.3f, 2.5f, 17.0f}, o(12);
  void* buffers[] = {a.data(), o.data()};
  interpret(m, buffers);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(o[i], fasttanh::tanh(a[i]));  // ir/FastTanh.h
    EXPECT_EQ(o[i + 3], fastexplog::exp(a[i]));  // ir/FastExpLog.h
    EXPECT_EQ(o[i + 6], fastexplog::log(a[i]));
    EXPECT_NEAR(o[i + 3], expf(a[i]), 3e-7f * expf(a[i]));
    EXPECT_NEAR(o[i + 6], logf(a[i]), 2e-7f * std::fabs(logf(a[i])));
    EXPECT_EQ(o[i + 9], sqrtf(a[i]));  // correctly rounded
  }
}

TEST(Interpreter, IntegerArithmeticAndCasts) {
  loop::Module m = parseModule(R"(module @ints {
  buffer %f : f32[4] input
  buffer %l : i64[6] output
  buffer %n : i32[6] output
  buffer %k : i64[2] const = [7, -7]
  kernel @k {
    %l[0] = %k[1] / 2
    %l[1] = %k[1] % 2
    %l[2] = %k[0] % -2
    %l[3] = 9223372036854775807 + 1
    %l[4] = min(%k[0], %k[1]) * max(-3, abs(-5))
    %l[5] = select(%k[0] != 7, 1, neg(%k[0]))
    for %i in 0..4 {
      %n[%i] = i32(%f[%i])
    }
    %n[4] = i32(4294967297)
    %n[5] = select(f32(i32(16777217)) == 16777216.0, i32(1), i32(0))
  }
})");
  std::vector<float> f = {-3.7f, 1e10f, -1e10f, kNaN};
  std::vector<int64_t> l(6);
  std::vector<int32_t> n(6);
  void* buffers[] = {f.data(), l.data(), n.data(), nullptr};
  EXPECT_EQ(interpretError(m, buffers), "no error");
  EXPECT_EQ(l, (std::vector<int64_t>{-3, -1, 1, INT64_MIN, -35, -7}));
  // f32 -> int truncates toward zero, saturates, and maps NaN to 0; i64 -> i32 keeps the low bits.
  EXPECT_EQ(n, (std::vector<int32_t>{-3, INT32_MAX, INT32_MIN, 0, 1, 1}));
}

TEST(Interpreter, OutOfBoundsAccessNamesKernelBufferIndexAndSize) {
  loop::Module m = parseModule(R"(module @oob {
  buffer %x : f32[8] input
  buffer %y : f32[8] output
  kernel @copy {
    for %i in 0..9 {
      %y[%i] = %x[%i]
    }
  }
})");
  std::vector<float> x(8, 1.0f), y(8);
  void* buffers[] = {x.data(), y.data()};
  EXPECT_EQ(interpretError(m, buffers),
            "interpret: kernel @copy: load from %x[8] is out of bounds (the buffer has 8 elements)");
  EXPECT_EQ(y[7], 1.0f);  // the iterations before the bad one ran

  loop::Module store = parseModule(R"(module @oob {
  buffer %y : f32[8] output
  kernel @fill {
    for %i in 0..8 {
      %y[%i - 1] = 0.0
    }
  }
})");
  EXPECT_EQ(interpretError(store, buffers + 1),
            "interpret: kernel @fill: store to %y[-1] is out of bounds (the buffer has 8 elements)");
}

TEST(Interpreter, RejectsWhatItCannotRun) {
  loop::Module m = parseModule(R"(module @bad {
  buffer %y : i64[1] output
  kernel @div {
    %y[0] = 1 / (%y[0] - %y[0])
  }
})");
  int64_t y = 5;
  void* buffers[] = {&y};
  EXPECT_EQ(interpretError(m, buffers), "interpret: kernel @div: div by zero");
  void* none[] = {nullptr};
  EXPECT_EQ(interpretError(m, none), "interpret: kernel @div: store to %y, which has no storage (a null pointer)");

  loop::Module unknown = m;
  unknown.kernels[0].body = loop::Store::make("y", loop::Var::make("i"), loop::i64(1));
  EXPECT_EQ(interpretError(unknown, buffers), "interpret: kernel @div: loop variable %i is not in scope");
}

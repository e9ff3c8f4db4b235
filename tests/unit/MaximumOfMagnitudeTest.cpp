// max(a, |x|), which the code generator emits as a compare and a max
// instead of llvm.maximum (codegen/KernelEmitter.cpp, maximumOfMagnitude):
// the JIT against the interpreter, bit for bit, on every pair of special
// values, with |x| on either side (two NaN operands give some NaN, as in
// Codegen.TwoNaNOperandsGiveSomeNaN).
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "codegen/JitModule.h"
#include "ir/LoopIR.h"
#include "runtime/Interpreter.h"
#include "HostIsas.h"

using namespace sigma;
using namespace sigma::loop;

namespace {

Buffer f32Buffer(std::string name, int64_t size, BufferKind kind) {
  Buffer b;
  b.name = std::move(name), b.type = ScalarType::F32, b.size = size, b.kind = kind;
  return b;
}

TEST(MaximumOfMagnitude, MatchesTheInterpreterOnSpecialValues) {
  constexpr float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> specials = {0.0f, -0.0f, 1.0f, -1.0f, 2.5f, -2.5f, 1e-40f, -1e-40f, inf, -inf, nan, -nan,
                                       std::numeric_limits<float>::max(), -std::numeric_limits<float>::max()};
  std::vector<float> a, x;
  for (float p : specials)
    for (float q : specials) a.push_back(p), x.push_back(q);
  const int64_t n = int64_t(a.size());

  Module m;
  m.name = "max_abs";
  m.buffers = {f32Buffer("a", n, BufferKind::Input), f32Buffer("x", n, BufferKind::Input),
               f32Buffer("right", n, BufferKind::Output), f32Buffer("left", n, BufferKind::Output),
               f32Buffer("running", 1, BufferKind::Output)};
  Expr i = Var::make("i"), ai = Load::make("a", ScalarType::F32, i);
  Expr magnitude = Unary::make(UnaryOp::Abs, Load::make("x", ScalarType::F32, i));
  m.kernels.push_back(Kernel{"right_0", {}, For::make("i", n, Store::make("right", i, Binary::make(BinaryOp::Max, ai, magnitude)))});
  m.kernels.push_back(Kernel{"left_1", {}, For::make("i", n, Store::make("left", i, Binary::make(BinaryOp::Max, magnitude, ai)))});
  // The statistic's form: a running max|x| from -inf (a reduction LLVM may vectorize).
  Expr r = Load::make("running", ScalarType::F32, i64(0));
  m.kernels.push_back(Kernel{"running_2", {}, Block::make({Store::make("running", i64(0), f32(-inf)),
      For::make("i", n, Store::make("running", i64(0), Binary::make(BinaryOp::Max, r, magnitude)))})});

  for (VectorIsa isa : hostisas::hostIsas()) {
    SCOPED_TRACE("on " + hostisas::isaName(isa));
    auto run = [&](bool jit) {
      std::vector<float> right(size_t(n), 7.0f), left(size_t(n), 7.0f), running(1, 7.0f);
      void* buffers[] = {a.data(), x.data(), right.data(), left.data(), running.data()};
      if (jit) codegen::JitModule::compile(m, {.isa = isa})->entry()(buffers);
      else interpret(m, buffers);
      right.insert(right.end(), left.begin(), left.end());
      right.push_back(running[0]);
      return right;
    };
    const std::vector<float> fromJit = run(true), fromInterpreter = run(false);
    for (size_t k = 0; k < fromJit.size(); ++k) {
      const float ak = a[k % size_t(n)], xk = x[k % size_t(n)];
      if (k < 2 * size_t(n) && std::isnan(ak) && std::isnan(xk)) {  // two NaNs give some NaN (as for a + b)
        EXPECT_TRUE(std::isnan(fromJit[k]) && std::isnan(fromInterpreter[k])) << "element " << k;
        continue;
      }
      EXPECT_EQ(std::bit_cast<uint32_t>(fromJit[k]), std::bit_cast<uint32_t>(fromInterpreter[k]))
          << "element " << k << " of (right, left, running): a = " << ak << ", x = " << xk;
    }
    // And what maximum means: +0 for max(-0, |0|), NaN for a NaN on either side.
    EXPECT_EQ(std::bit_cast<uint32_t>(fromInterpreter[1 * specials.size() + 0]), 0u) << "max(-0, |+0|)";
    EXPECT_TRUE(std::isnan(fromInterpreter[10 * specials.size() + 2])) << "max(NaN, |1|)";
    EXPECT_TRUE(std::isnan(fromInterpreter[2 * specials.size() + 11])) << "max(1, |-NaN|)";
    EXPECT_TRUE(std::isnan(fromInterpreter.back())) << "a NaN among the x";
  }
}

}  // namespace

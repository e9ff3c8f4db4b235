// W3 (the fused weight update of BRIEF §4) as sigma-bench times it, checked
// on a small N: Sigma fused and unfused agree bit for bit, and both agree
// with the hand-written peers (benchmarks/Workloads.h) — the updated w and m
// exactly (same operations, same order, no contraction), the sums within
// float rounding (Sigma adds in 16 float lanes, the peers in blocked lanes
// and double). No timing here: sigma-bench measures.
#include <gtest/gtest.h>

#include <cmath>
#include <bit>
#include <tuple>
#include <string>
#include <cstdint>
#include <utility>
#include <vector>

#include "benchmarks/Workloads.h"
#include "passes/LoopAnalysis.h"

using namespace sigma;
using namespace sigma::bench;

namespace {

// Not a multiple of the peers' 16-lane / 4096-element blocks: the tails count too.
constexpr int64_t kSmallN = 3 * 4096 + 37;

struct SigmaW3 {
  std::unique_ptr<Executable> exec;
  explicit SigmaW3(bool fused, Backend backend = Backend::JIT) : exec(compileW3(kSmallN, fused, backend)) {
    fillW3(exec->f32("w").data(), exec->f32("g").data(), exec->f32("m").data(), kSmallN);
  }
};

// |a − b| within rel·Σ|xᵢ| (the scale of a sum's rounding error); for a
// cancelling Σw the reference scale is Σ|w|, not |Σw|.
void expectSumNear(float a, float b, double scale, const char* what) {
  EXPECT_LE(std::fabs(double(a) - double(b)), 1e-5 * scale) << what << ": " << a << " vs " << b;
}

}  // namespace

TEST(W3Workload, FusedAndUnfusedAgreeBitForBit) {
  SigmaW3 fused(true), unfused(false);
  for (int step = 0; step < 3; ++step) {
    fused.exec->run();
    unfused.exec->run();
    W3Sums a = w3Outputs(*fused.exec), b = w3Outputs(*unfused.exec);
    EXPECT_EQ(a.sum, b.sum) << "step " << step;
    EXPECT_EQ(a.abs_sum, b.abs_sum) << "step " << step;
    EXPECT_EQ(a.sq_sum, b.sq_sum) << "step " << step;
    for (const char* buf : {"w", "m"}) {
      std::span<const float> x = std::as_const(*fused.exec).f32(buf), y = std::as_const(*unfused.exec).f32(buf);
      for (int64_t i = 0; i < kSmallN; ++i) ASSERT_EQ(x[i], y[i]) << buf << "[" << i << "] after step " << step;
    }
  }
}

TEST(W3Workload, FusionReadsTheWeightsInOneKernel) {
  // The point of W3: the fused pipeline passes over w, g, m once. Without
  // fusion every op is a kernel of its own and several of them read w.
  SigmaW3 fused(true), unfused(false);
  auto kernelsReading = [](const Executable& e, const std::string& buffer) {
    int count = 0;
    for (const loop::Kernel& k : e.module().kernels) count += buffersRead(k).count(buffer) ? 1 : 0;
    return count;
  };
  EXPECT_EQ(kernelsReading(*fused.exec, "w"), 1);
  EXPECT_EQ(kernelsReading(*fused.exec, "g"), 1);
  EXPECT_GT(kernelsReading(*unfused.exec, "w"), 3);
}

TEST(W3Workload, SigmaMatchesTheHandWrittenLoops) {
  SigmaW3 sigma(true);
  std::vector<float> w(kSmallN), g(kSmallN), m(kSmallN), w2(kSmallN), g2(kSmallN), m2(kSmallN), d(kSmallN),
      t(kSmallN);
  fillW3(w.data(), g.data(), m.data(), kSmallN);
  fillW3(w2.data(), g2.data(), m2.data(), kSmallN);
  for (int step = 0; step < 3; ++step) {
    double absScale = 0, sqScale = 0;
    for (float v : w) absScale += std::fabs(v), sqScale += double(v) * v;
    sigma.exec->run();
    W3Sums s = w3Outputs(*sigma.exec);
    W3Sums f = w3FusedLoop(w.data(), g.data(), m.data(), kSmallN);
    W3Sums p = w3SeparateLoops(w2.data(), g2.data(), m2.data(), d.data(), t.data(), kSmallN);
    expectSumNear(s.sum, f.sum, absScale, "sum(w) sigma vs fused loop");
    expectSumNear(s.abs_sum, f.abs_sum, absScale, "sum|w| sigma vs fused loop");
    expectSumNear(s.sq_sum, f.sq_sum, sqScale, "sum w^2 sigma vs fused loop");
    // The two peers add in the same blocked order: identical sums.
    EXPECT_EQ(f.sum, p.sum);
    EXPECT_EQ(f.abs_sum, p.abs_sum);
    EXPECT_EQ(f.sq_sum, p.sq_sum);
    std::span<const float> sw = std::as_const(*sigma.exec).f32("w"), sm = std::as_const(*sigma.exec).f32("m");
    for (int64_t i = 0; i < kSmallN; ++i) {
      ASSERT_EQ(sw[i], w[i]) << "w[" << i << "] after step " << step;
      ASSERT_EQ(sm[i], m[i]) << "m[" << i << "] after step " << step;
      ASSERT_EQ(w2[i], w[i]) << "separate loops: w[" << i << "] after step " << step;
    }
  }
}

TEST(W3Workload, JitMatchesTheInterpreter) {
  SigmaW3 jit(true), ref(true, Backend::Interpreter);
  jit.exec->run();
  ref.exec->run();
  W3Sums a = w3Outputs(*jit.exec), b = w3Outputs(*ref.exec);
  EXPECT_EQ(a.sum, b.sum);
  EXPECT_EQ(a.abs_sum, b.abs_sum);
  EXPECT_EQ(a.sq_sum, b.sq_sum);
}

// Added in order in one float, Σ|w| over millions of elements drifts by
// percents (each add rounds against an ever larger total); split into 16
// lanes (passes/SplitReductions.cpp) each lane adds 1/16 of the points, so
// the sums stay within 1e-4 of the exact (double) value at 4M elements.
TEST(W3Workload, LaneSplitSumsStayAccurateOverMillionsOfElements) {
  constexpr int64_t n = 4 << 20;
  std::unique_ptr<Executable> exec = compileW3(n, true);
  std::span<float> w = exec->f32("w");
  fillW3(w.data(), exec->f32("g").data(), exec->f32("m").data(), n);
  double sum = 0, absSum = 0, sqSum = 0;
  for (float v : w) sum += v, absSum += std::fabs(v), sqSum += double(v) * v;
  exec->run();
  W3Sums s = w3Outputs(*exec);
  // In blocks of 4096 (below), each lane of a block adds 256 points and the
  // blocks are added per lane: closer still than the 1e-4 of lanes alone.
  EXPECT_LE(std::fabs(s.sum - sum), 1e-5 * absSum);
  EXPECT_LE(std::fabs(s.abs_sum - absSum), 1e-5 * absSum);
  EXPECT_LE(std::fabs(s.sq_sum - sqSum), 1e-5 * sqSum);
}

// A long one-dimensional update (at least 65536 points, a multiple of 4096)
// is summed in blocks of 4096, each with lanes of its own, so the blocks run
// on the thread pool: the same bits fused and unfused, on the JIT and the
// interpreter, and on 1, 2 or 3 threads.
TEST(W3Workload, BlockedSumsRunInParallelWithTheSameBits) {
  constexpr int64_t n = 32 * 4096;
  auto run = [&](bool fused, Backend backend, int threads) {
    std::unique_ptr<Executable> exec = compileW3(n, fused, backend, threads);
    fillW3(exec->f32("w").data(), exec->f32("g").data(), exec->f32("m").data(), n);
    exec->run();
    return exec;
  };
  std::unique_ptr<Executable> reference = run(true, Backend::Interpreter, 1);
  bool parallel = false;
  for (const loop::Kernel& k : reference->module().kernels)
    for (const loop::Stmt& s : topLevelStatements(k.body))
      if (const loop::For* f = loop::as<loop::For>(s)) parallel |= f->parallel && f->extent == n / 4096;
  EXPECT_TRUE(parallel) << "no parallel loop over the 4096-element blocks";
  const W3Sums want = w3Outputs(*reference);
  for (auto [fused, backend, threads] : {std::tuple{true, Backend::JIT, 1}, {true, Backend::JIT, 2},
                                         {true, Backend::JIT, 3}, {false, Backend::JIT, 2}, {false, Backend::Interpreter, 1}}) {
    std::unique_ptr<Executable> e = run(fused, backend, threads);
    const W3Sums got = w3Outputs(*e);
    const std::string what = std::string(fused ? "fused" : "unfused") + (backend == Backend::JIT ? " JIT" : " interpreter") +
                             " on " + std::to_string(threads) + " threads";
    EXPECT_EQ(std::bit_cast<uint32_t>(got.sum), std::bit_cast<uint32_t>(want.sum)) << what;
    EXPECT_EQ(std::bit_cast<uint32_t>(got.abs_sum), std::bit_cast<uint32_t>(want.abs_sum)) << what;
    EXPECT_EQ(std::bit_cast<uint32_t>(got.sq_sum), std::bit_cast<uint32_t>(want.sq_sum)) << what;
    for (const char* buf : {"w", "m"}) {
      std::span<const float> a = std::as_const(*e).f32(buf), b = std::as_const(*reference).f32(buf);
      for (int64_t i = 0; i < n; ++i)
        ASSERT_EQ(std::bit_cast<uint32_t>(a[i]), std::bit_cast<uint32_t>(b[i])) << what << ": " << buf << "[" << i << "]";
    }
  }
}

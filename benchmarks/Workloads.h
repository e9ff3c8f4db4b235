// The reference workloads as Sigma builds them, and the hand-written peers
// they are measured against, shared by sigma-bench and the unit tests (so
// the graph that is timed is the graph that is tested). Header-only: tests
// include it from the source root without linking anything of benchmarks/.
//
// W3, the fused update (BRIEF §4): one weight vector w of N floats, its data
// gradient g (an input) and momentum state m:
//   m' = 0.9·m + (g + 2·l2·w + l1·sign(w));   w' = w − lr·m'
//   outputs Σw, Σ|w|, Σw² of the weights the step used (before its update),
// lr 0.01, l1 1e-5, l2 5e-4. Minimal traffic: read w, g, m, write w, m =
// 20 B/elem. (../shared/peers/w3_*.cpp take the sums after the update; Sigma
// reports statistics of the weights a step used, BRIEF §2, and so do the
// peers here. The traffic is the same.)
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>

#include "benchmarks/peers/PeerCommon.h"
#include "frontend/GraphBuilder.h"
#include "passes/PassManager.h"
#include "runtime/Executable.h"

namespace sigma::bench {

namespace w3 {
using peers::hp::w3_l1;
using peers::hp::w3_l2;
using peers::hp::w3_lr;
using peers::hp::w3_mom;
constexpr int64_t kN = peers::hp::w3_n;
constexpr double kBytesPerElement = 20;  // read w, g, m; write w, m
// Output buffer names of the graph.
inline const char* const kSum = "w.sum";
inline const char* const kAbsSum = "w.abs_sum";
inline const char* const kSqSum = "w.sq_sum";
}  // namespace w3

// Builds W3's step on `b`: parameters w, m, input g; updates of w and m;
// the three sums as outputs. The expression is associated exactly as the
// hand-written loops below write it, so that they can agree bit for bit.
inline void buildW3Graph(GraphBuilder& b, int64_t n) {
  using namespace w3;
  Tensor w = b.parameter("w", {n});
  Tensor g = b.input("g", {n});
  Tensor m = b.parameter("m", {n});
  Tensor grad = (g + (2 * w3_l2) * w) + w3_l1 * sign(w);
  Tensor m2 = w3_mom * m + grad;
  Tensor w2 = w - w3_lr * m2;
  Graph& graph = b.graph();
  graph.addOutput(kSum, sum(w).node());
  graph.addOutput(kAbsSum, sum(abs(w)).node());
  graph.addOutput(kSqSum, sum(square(w)).node());
  graph.addUpdate(w.node(), w2.node());
  graph.addUpdate(m.node(), m2.node());
}

// W3 through Sigma's pass pipeline (fused, or with every fusion pass
// skipped) and the JIT. The arena is zeroed: fill w, g (and m) before running.
inline std::unique_ptr<Executable> compileW3(int64_t n, bool fused, Backend backend = Backend::JIT, int threads = 1) {
  GraphBuilder b("w3");
  buildW3Graph(b, n);
  IRUnit unit;
  unit.graph = cloneGraph(b.graph());
  PassOptions options;
  options.noFusion = !fused;
  PassManager(options).run(unit, defaultPipeline());
  return std::make_unique<Executable>(std::move(unit.loops),
                                      ExecutableOptions{.backend = backend, .optLevel = 3, .threads = threads});
}

// The workload's data: w ~ U(±0.05), g ~ U(±1e-3) from splitmix64 seed 3
// (as ../shared/peers/w3_*.cpp), m = 0.
inline void fillW3(float* w, float* g, float* m, int64_t n) {
  peers::Rng rng(3);
  for (int64_t i = 0; i < n; ++i) w[i] = rng.uniform(0.05);
  for (int64_t i = 0; i < n; ++i) g[i] = rng.uniform(1e-3);
  std::fill(m, m + n, 0.0f);
}

struct W3Sums {
  float sum = 0, abs_sum = 0, sq_sum = 0;
};

namespace detail {
inline float sign(float w) { return float((w > 0) - (w < 0)); }  // sign(0) = 0
// Sums are kept in 16 float lanes within blocks of 4096 elements and the
// blocks are added in double, as in ../shared/peers (accurate, and the lane
// loops vectorize without reassociating anything).
constexpr int64_t kBlock = 4096, kLanes = 16;

inline double blockedSum(const float* __restrict x, int64_t n) {
  double r = 0;
  for (int64_t blk = 0; blk < n; blk += kBlock) {
    const int64_t end = std::min(n, blk + kBlock);
    float acc[kLanes] = {};
    int64_t i = blk;
    for (; i + kLanes <= end; i += kLanes)
      for (int k = 0; k < kLanes; ++k) acc[k] += x[i + k];
    for (; i < end; ++i) acc[0] += x[i];
    for (float v : acc) r += v;
  }
  return r;
}
}  // namespace detail

// Hand-written peer (a): one fused loop. Reads w, g, m once, writes w, m
// once, the three sums in registers.
inline W3Sums w3FusedLoop(float* __restrict w, const float* __restrict g, float* __restrict m, int64_t n) {
  using namespace w3;
  using detail::kBlock, detail::kLanes;
  double s = 0, a = 0, q = 0;
  for (int64_t blk = 0; blk < n; blk += kBlock) {
    const int64_t end = std::min(n, blk + kBlock);
    float bs[kLanes] = {}, ba[kLanes] = {}, bq[kLanes] = {};
    auto point = [&](int64_t i, int k) {
      float wi = w[i];
      bs[k] += wi, ba[k] += std::fabs(wi), bq[k] += wi * wi;
      float mi = w3_mom * m[i] + ((g[i] + (2 * w3_l2) * wi) + w3_l1 * detail::sign(wi));
      m[i] = mi, w[i] = wi - w3_lr * mi;
    };
    int64_t i = blk;
    for (; i + kLanes <= end; i += kLanes)
      for (int k = 0; k < kLanes; ++k) point(i + k, k);
    for (; i < end; ++i) point(i, 0);
    for (int k = 0; k < kLanes; ++k) s += bs[k], a += ba[k], q += bq[k];
  }
  return {float(s), float(a), float(q)};
}

// Hand-written peer (b): the 11 passes libtorch makes (3 reductions, 2
// elementwise maps for the statistics' operands, 6 for the update), each a
// plain loop over preallocated temporaries d and t of n floats: this
// isolates the cost of the pass structure itself.
inline W3Sums w3SeparateLoops(float* __restrict w, const float* __restrict g, float* __restrict m,
                              float* __restrict d, float* __restrict t, int64_t n) {
  using namespace w3;
  W3Sums r;
  r.sum = float(detail::blockedSum(w, n));
  for (int64_t i = 0; i < n; ++i) t[i] = std::fabs(w[i]);
  r.abs_sum = float(detail::blockedSum(t, n));
  for (int64_t i = 0; i < n; ++i) t[i] = w[i] * w[i];
  r.sq_sum = float(detail::blockedSum(t, n));
  for (int64_t i = 0; i < n; ++i) d[i] = g[i] + (2 * w3_l2) * w[i];
  for (int64_t i = 0; i < n; ++i) t[i] = detail::sign(w[i]);
  for (int64_t i = 0; i < n; ++i) d[i] += w3_l1 * t[i];
  for (int64_t i = 0; i < n; ++i) m[i] *= w3_mom;
  for (int64_t i = 0; i < n; ++i) m[i] += d[i];
  for (int64_t i = 0; i < n; ++i) w[i] -= w3_lr * m[i];
  return r;
}

// The three sums of a Sigma W3 executable, read from its output buffers.
inline W3Sums w3Outputs(const Executable& e) {
  return {e.f32(w3::kSum)[0], e.f32(w3::kAbsSum)[0], e.f32(w3::kSqSum)[0]};
}

}  // namespace sigma::bench

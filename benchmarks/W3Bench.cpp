// W3, the fused update (BRIEF §4) on N = 16M floats: momentum SGD + L1 + L2
// + Σw, Σ|w|, Σw² (benchmarks/Workloads.h has the exact definition). One
// thread. Counter "GB/s": effective bandwidth at the minimal 20 B/elem
// (read w, g, m; write w, m), to compare with machine/stream_rmw.
//   W3/sigma_fused             the graph through the default pass pipeline + JIT
//   W3/sigma_unfused           the same with every fusion pass skipped
//   W3/handwritten_fused       one loop (the peer of ../shared/peers/w3_handwritten.cpp)
//   W3/handwritten_separate    11 loops, libtorch's op sequence, preallocated temporaries
//   W3/sigma_fused_2threads    the fused step on 2 threads (its 4096-element
//                              blocks in parallel; the same bits as on one)
//   W3/handwritten_fused_2threads  the fused loop's blocks split over 2 OpenMP threads
// The two-thread rows are timed by the wall clock (and their GB/s with it).
//
// Before timing, one step of each of Sigma fused, Sigma unfused and the
// hand-written fused loop runs on identical data: fused and unfused must
// agree bit for bit (w, m and the sums), and w, m must match the peer.
// The sums are compared, not required to match: Sigma adds 16M floats in
// 16 float lanes per 4096-element block and the blocks' lanes in float, the
// peer in 16 lanes per block and the blocks in double; the relative
// differences are reported as counters of W3/sigma_fused (sum_err: |Δ| / Σ|w|).
// The 2-thread step must give the 1-thread step's bits.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "benchmarks/Bench.h"
#include "benchmarks/Workloads.h"

namespace sigma::bench {
namespace {

using w3::kN;

struct FreeDeleter {
  void operator()(float* p) const { std::free(p); }
};
using Floats = std::unique_ptr<float[], FreeDeleter>;

// Zeroed (so touched: page faults stay out of the timings), 64-byte aligned.
Floats zeroedFloats(int64_t n) {
  Floats p(static_cast<float*>(std::aligned_alloc(64, size_t(n) * sizeof(float))));
  std::memset(p.get(), 0, size_t(n) * sizeof(float));
  return p;
}

struct W3 {
  std::unique_ptr<Executable> fused, unfused, fused2;  // fused2: on 2 threads
  Floats w, g, m, d, t;  // the hand-written peers' arrays (d, t: separate loops' temporaries)
  std::string error;     // empty when the checks passed
  W3Sums sigmaSums, peerSums;
};

std::string mismatch(const char* what, const float* a, const float* b, int64_t n, float relTol) {
  for (int64_t i = 0; i < n; ++i)
    if (!(std::fabs(a[i] - b[i]) <= relTol * std::fabs(b[i]))) {
      char text[200];
      std::snprintf(text, sizeof text, "W3 check failed: %s[%lld] = %.9g vs %.9g", what, (long long)i, a[i], b[i]);
      return text;
    }
  return {};
}

std::unique_ptr<W3> makeW3() {
  auto s = std::make_unique<W3>();
  s->w = zeroedFloats(kN), s->g = zeroedFloats(kN), s->m = zeroedFloats(kN);
  s->d = zeroedFloats(kN), s->t = zeroedFloats(kN);
  fillW3(s->w.get(), s->g.get(), s->m.get(), kN);
  s->fused = compileW3(kN, true);
  s->unfused = compileW3(kN, false);
  s->fused2 = compileW3(kN, true, Backend::JIT, 2);
  for (Executable* e : {s->fused.get(), s->unfused.get(), s->fused2.get()})
    for (auto [name, src] : {std::pair{"w", s->w.get()}, std::pair{"g", s->g.get()}, std::pair{"m", s->m.get()}})
      std::memcpy(e->f32(name).data(), src, size_t(kN) * sizeof(float));

  s->fused->run();
  s->unfused->run();
  s->fused2->run();
  s->peerSums = w3FusedLoop(s->w.get(), s->g.get(), s->m.get(), kN);
  s->sigmaSums = w3Outputs(*s->fused);
  W3Sums u = w3Outputs(*s->unfused), two = w3Outputs(*s->fused2);
  const Executable &f = *s->fused, &uf = *s->unfused;
  if (u.sum != s->sigmaSums.sum || u.abs_sum != s->sigmaSums.abs_sum || u.sq_sum != s->sigmaSums.sq_sum)
    s->error = "W3 check failed: Sigma fused and unfused sums differ";
  if (two.sum != s->sigmaSums.sum || two.abs_sum != s->sigmaSums.abs_sum || two.sq_sum != s->sigmaSums.sq_sum)
    s->error = "W3 check failed: Sigma's sums differ on 2 threads";
  for (const char* buf : {"w", "m"})
    if (s->error.empty()) s->error = mismatch(buf, s->fused2->f32(buf).data(), f.f32(buf).data(), kN, 0);
  // Bit for bit: the same operations in the same order (sigma-bench is built
  // with -ffp-contract=off, as the JIT never contracts either).
  for (const char* buf : {"w", "m"}) {
    if (s->error.empty()) s->error = mismatch(buf, f.f32(buf).data(), uf.f32(buf).data(), kN, 0);
    const float* peer = std::string(buf) == "w" ? s->w.get() : s->m.get();
    if (s->error.empty()) s->error = mismatch(buf, f.f32(buf).data(), peer, kN, 0);
  }
  return s;
}

W3& w3State() {
  static std::unique_ptr<W3> s = makeW3();
  return *s;
}

void gbPerSecond(benchmark::State& state) {
  state.counters["GB/s"] = benchmark::Counter(w3::kBytesPerElement * double(kN) / 1e9,
                                              benchmark::Counter::kIsIterationInvariantRate);
}

void sigmaStep(benchmark::State& state, bool fused, bool twoThreads = false) {
  W3& s = w3State();
  if (!s.error.empty()) return state.SkipWithError(s.error.c_str());
  Executable& exec = twoThreads ? *s.fused2 : fused ? *s.fused : *s.unfused;
  for (auto _ : state) {
    exec.run();
    benchmark::ClobberMemory();
  }
  gbPerSecond(state);
  if (fused && !twoThreads) {  // how far Sigma's in-order float sums are from the peer's (first step)
    const double scaleAbs = s.peerSums.abs_sum, scaleSq = s.peerSums.sq_sum;
    state.counters["sum_err"] = std::fabs(double(s.sigmaSums.sum) - s.peerSums.sum) / scaleAbs;
    state.counters["abs_sum_err"] = std::fabs(double(s.sigmaSums.abs_sum) - s.peerSums.abs_sum) / scaleAbs;
    state.counters["sq_sum_err"] = std::fabs(double(s.sigmaSums.sq_sum) - s.peerSums.sq_sum) / scaleSq;
  }
}

void BM_SigmaFused(benchmark::State& state) { sigmaStep(state, true); }
void BM_SigmaUnfused(benchmark::State& state) { sigmaStep(state, false); }
void BM_SigmaFused2Threads(benchmark::State& state) { sigmaStep(state, true, true); }

// The fused loop with its blocks split over two OpenMP threads (a static
// schedule: each thread one contiguous half).
W3Sums w3FusedLoopParallel(float* __restrict w, const float* __restrict g, float* __restrict m, int64_t n) {
  using detail::kBlock;  // the sequential loop's blocks (benchmarks/Workloads.h)
  double s = 0, a = 0, q = 0;
#pragma omp parallel for schedule(static) reduction(+ : s, a, q) num_threads(2)
  for (int64_t blk = 0; blk < n; blk += kBlock) {
    const int64_t end = std::min(n, blk + kBlock);
    W3Sums part = w3FusedLoop(w + blk, g + blk, m + blk, end - blk);
    s += part.sum, a += part.abs_sum, q += part.sq_sum;
  }
  return {float(s), float(a), float(q)};
}

void BM_HandwrittenFused(benchmark::State& state) {
  W3& s = w3State();
  for (auto _ : state) benchmark::DoNotOptimize(w3FusedLoop(s.w.get(), s.g.get(), s.m.get(), kN));
  gbPerSecond(state);
}

void BM_HandwrittenFused2Threads(benchmark::State& state) {
  W3& s = w3State();
  for (auto _ : state) benchmark::DoNotOptimize(w3FusedLoopParallel(s.w.get(), s.g.get(), s.m.get(), kN));
  gbPerSecond(state);
}

void BM_HandwrittenSeparate(benchmark::State& state) {
  W3& s = w3State();
  for (auto _ : state)
    benchmark::DoNotOptimize(w3SeparateLoops(s.w.get(), s.g.get(), s.m.get(), s.d.get(), s.t.get(), kN));
  gbPerSecond(state);
}

}  // namespace

void registerW3Benchmarks() {
  struct Entry {
    const char* name;
    void (*fn)(benchmark::State&);
  };
  const Entry entries[] = {
      {"W3/sigma_fused", BM_SigmaFused},
      {"W3/sigma_unfused", BM_SigmaUnfused},
      {"W3/handwritten_fused", BM_HandwrittenFused},
      {"W3/handwritten_separate", BM_HandwrittenSeparate},
  };
  for (const Entry& e : entries) benchmark::RegisterBenchmark(e.name, e.fn)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("W3/sigma_fused_2threads", BM_SigmaFused2Threads)->Unit(benchmark::kMillisecond)->UseRealTime();
  benchmark::RegisterBenchmark("W3/handwritten_fused_2threads", BM_HandwrittenFused2Threads)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
}

}  // namespace sigma::bench

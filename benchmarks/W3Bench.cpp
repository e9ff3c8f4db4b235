// W3, the fused update (BRIEF §4) on N = 16M floats: momentum SGD + L1 + L2
// + Σw, Σ|w|, Σw² (benchmarks/Workloads.h has the exact definition). One
// thread. Counter "GB/s": effective bandwidth at the minimal 20 B/elem
// (read w, g, m; write w, m), to compare with machine/stream_rmw.
//   W3/sigma_fused             the graph through the default pass pipeline + JIT
//   W3/sigma_unfused           the same with every fusion pass skipped
//   W3/handwritten_fused       one loop (the peer of ../shared/peers/w3_handwritten.cpp)
//   W3/handwritten_separate    11 loops, libtorch's op sequence, preallocated temporaries
//
// Before timing, one step of each of Sigma fused, Sigma unfused and the
// hand-written fused loop runs on identical data: fused and unfused must
// agree bit for bit (w, m and the sums), and w, m must match the peer.
// The sums are compared, not required to match: Sigma adds 16M floats in
// 16 float lanes, the peer in 16 lanes per 4096-element block and double,
// so at this N they differ by more than rounding; the relative differences
// are reported as counters of W3/sigma_fused (sum_err: |Δ| / Σ|w|).
#include <benchmark/benchmark.h>

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
  std::unique_ptr<Executable> fused, unfused;
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
  for (Executable* e : {s->fused.get(), s->unfused.get()})
    for (auto [name, src] : {std::pair{"w", s->w.get()}, std::pair{"g", s->g.get()}, std::pair{"m", s->m.get()}})
      std::memcpy(e->f32(name).data(), src, size_t(kN) * sizeof(float));

  s->fused->run();
  s->unfused->run();
  s->peerSums = w3FusedLoop(s->w.get(), s->g.get(), s->m.get(), kN);
  s->sigmaSums = w3Outputs(*s->fused);
  W3Sums u = w3Outputs(*s->unfused);
  const Executable &f = *s->fused, &uf = *s->unfused;
  if (u.sum != s->sigmaSums.sum || u.abs_sum != s->sigmaSums.abs_sum || u.sq_sum != s->sigmaSums.sq_sum)
    s->error = "W3 check failed: Sigma fused and unfused sums differ";
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

void sigmaStep(benchmark::State& state, bool fused) {
  W3& s = w3State();
  if (!s.error.empty()) return state.SkipWithError(s.error.c_str());
  Executable& exec = fused ? *s.fused : *s.unfused;
  for (auto _ : state) {
    exec.run();
    benchmark::ClobberMemory();
  }
  gbPerSecond(state);
  if (fused) {  // how far Sigma's in-order float sums are from the peer's (first step)
    const double scaleAbs = s.peerSums.abs_sum, scaleSq = s.peerSums.sq_sum;
    state.counters["sum_err"] = std::fabs(double(s.sigmaSums.sum) - s.peerSums.sum) / scaleAbs;
    state.counters["abs_sum_err"] = std::fabs(double(s.sigmaSums.abs_sum) - s.peerSums.abs_sum) / scaleAbs;
    state.counters["sq_sum_err"] = std::fabs(double(s.sigmaSums.sq_sum) - s.peerSums.sq_sum) / scaleSq;
  }
}

void BM_SigmaFused(benchmark::State& state) { sigmaStep(state, true); }
void BM_SigmaUnfused(benchmark::State& state) { sigmaStep(state, false); }

void BM_HandwrittenFused(benchmark::State& state) {
  W3& s = w3State();
  for (auto _ : state) benchmark::DoNotOptimize(w3FusedLoop(s.w.get(), s.g.get(), s.m.get(), kN));
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
}

}  // namespace sigma::bench

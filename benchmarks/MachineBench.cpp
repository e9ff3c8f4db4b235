// Machine limits, measured in the same run as the workloads so that every
// ratio in the report compares numbers taken under the same load:
//   machine/stream_rmw   a[i] += s·b[i] over 16M floats: the read-modify-write
//                        stream that bounds W3 (12 B/elem, as ../shared/peers
//                        count their in-place update: no write-allocate).
//   machine/read_sum     Σ a[i] over 16M floats (4 B/elem): one read stream.
//   machine/fma_peak     independent AVX2 FMA chains (GFLOP/s).
//   machine/stream_rmw_2threads  the same on 2 OpenMP threads (wall clock)
//   machine/fma_peak_avx512  the same with zmm, only where the CPU has AVX-512.
// One thread each. The kernels carry target attributes instead of relying on
// the file's flags, so they are AVX2/FMA code however sigma-bench is built,
// and each benchmark checks the CPU before running them.
#include <benchmark/benchmark.h>
#include <immintrin.h>
#include <omp.h>

#include <cstdint>
#include <cstdlib>
#include <memory>

#include "benchmarks/Bench.h"

namespace {

constexpr int64_t kStreamN = int64_t(16) << 20;  // 64 MiB per array: far beyond the caches

struct FreeDeleter {
  void operator()(float* p) const { std::free(p); }
};
using Floats = std::unique_ptr<float[], FreeDeleter>;

// Allocated and touched once: first-touch page faults (~11 µs each on the
// peers' VM) must not be timed.
Floats alignedFloats(int64_t n, float value) {
  Floats p(static_cast<float*>(std::aligned_alloc(64, size_t(n) * sizeof(float))));
  for (int64_t i = 0; i < n; ++i) p[i] = value;
  return p;
}

bool hasAvx2() { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }

__attribute__((target("avx2,fma"))) void streamRmw(float* __restrict a, const float* __restrict b, float s,
                                                   int64_t n) {
  const __m256 sv = _mm256_set1_ps(s);
  for (int64_t i = 0; i < n; i += 16) {
    __m256 a0 = _mm256_load_ps(a + i), a1 = _mm256_load_ps(a + i + 8);
    a0 = _mm256_fmadd_ps(sv, _mm256_load_ps(b + i), a0);
    a1 = _mm256_fmadd_ps(sv, _mm256_load_ps(b + i + 8), a1);
    _mm256_store_ps(a + i, a0);
    _mm256_store_ps(a + i + 8, a1);
  }
}

// Eight independent accumulators: enough loads in flight to saturate one
// core's read bandwidth instead of the add latency.
__attribute__((target("avx2,fma"))) float readSum(const float* __restrict a, int64_t n) {
  __m256 acc[8];
  for (auto& v : acc) v = _mm256_setzero_ps();
  for (int64_t i = 0; i < n; i += 64)
    for (int k = 0; k < 8; ++k) acc[k] = _mm256_add_ps(acc[k], _mm256_load_ps(a + i + 8 * k));
  for (int k = 1; k < 8; ++k) acc[0] = _mm256_add_ps(acc[0], acc[k]);
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, acc[0]);
  float r = 0;
  for (float v : lanes) r += v;
  return r;
}

// 12 chains: 12 accumulators + 2 constants fit AVX2's 16 ymm registers, and
// 12 exceed latency × throughput (4 cycles × 2 FMA pipes on Zen 3/4/5).
constexpr int kChains = 12;
constexpr int64_t kFmaIters = 1 << 20;

__attribute__((target("avx2,fma"))) float fmaChains(float seed) {
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  __m256 x[kChains];
  for (int c = 0; c < kChains; ++c) x[c] = _mm256_set1_ps(seed + float(c));
  for (int64_t i = 0; i < kFmaIters; ++i)
#pragma GCC unroll 32
    for (int c = 0; c < kChains; ++c) x[c] = _mm256_fmadd_ps(x[c], a, b);
  for (int c = 1; c < kChains; ++c) x[0] = _mm256_add_ps(x[0], x[c]);
  return _mm256_cvtss_f32(x[0]);
}

// AVX-512 has 32 zmm registers: 24 chains, as many as latency × throughput
// could need on any current core.
constexpr int kChains512 = 24;

__attribute__((target("avx512f"))) float fmaChains512(float seed) {
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
  __m512 x[kChains512];
  for (int c = 0; c < kChains512; ++c) x[c] = _mm512_set1_ps(seed + float(c));
  // Unrolled, so the chains live in registers: without it GCC 12 keeps the
  // array in memory and measures a store-to-load round trip per FMA.
  for (int64_t i = 0; i < kFmaIters; ++i)
#pragma GCC unroll 32
    for (int c = 0; c < kChains512; ++c) x[c] = _mm512_fmadd_ps(x[c], a, b);
  for (int c = 1; c < kChains512; ++c) x[0] = _mm512_add_ps(x[0], x[c]);
  alignas(64) float lanes[16];  // (GCC 12 warns on _mm512_castps512_ps128)
  _mm512_store_ps(lanes, x[0]);
  return lanes[0];
}

// Rates: Counter(v, kIsIterationInvariantRate) reports v·iterations/second.
benchmark::Counter perSecond(double amount) {
  return benchmark::Counter(amount, benchmark::Counter::kIsIterationInvariantRate);
}

// One thread, or each of `threads` OpenMP threads its contiguous part
// (registered with wall-clock time).
void streamRmwOn(benchmark::State& state, int threads) {
  if (!hasAvx2()) return state.SkipWithError("needs AVX2 and FMA");
  static Floats a = alignedFloats(kStreamN, 1.0f), b = alignedFloats(kStreamN, 1e-3f);
  float s = 1e-6f;
  for (auto _ : state) {
#pragma omp parallel num_threads(threads)
    {
      const int64_t part = kStreamN / omp_get_num_threads(), begin = part * omp_get_thread_num();
      streamRmw(a.get() + begin, b.get() + begin, s, part);
    }
    benchmark::ClobberMemory();
    s = -s;  // a stays bounded however long it runs
  }
  state.counters["GB/s"] = perSecond(12.0 * kStreamN / 1e9);
}
void BM_StreamRmw(benchmark::State& state) { streamRmwOn(state, 1); }
void BM_StreamRmw2Threads(benchmark::State& state) { streamRmwOn(state, 2); }

void BM_ReadSum(benchmark::State& state) {
  if (!hasAvx2()) return state.SkipWithError("needs AVX2 and FMA");
  static Floats a = alignedFloats(kStreamN, 1e-3f);
  for (auto _ : state) benchmark::DoNotOptimize(readSum(a.get(), kStreamN));
  state.counters["GB/s"] = perSecond(4.0 * kStreamN / 1e9);
}

void BM_FmaPeak(benchmark::State& state) {
  if (!hasAvx2()) return state.SkipWithError("needs AVX2 and FMA");
  float seed = 1;
  for (auto _ : state) benchmark::DoNotOptimize(seed = fmaChains(seed) * 1e-9f);
  state.counters["GFLOP/s"] = perSecond(2.0 * 8 * kChains * kFmaIters / 1e9);
}

void BM_FmaPeak512(benchmark::State& state) {
  float seed = 1;
  for (auto _ : state) benchmark::DoNotOptimize(seed = fmaChains512(seed) * 1e-9f);
  state.counters["GFLOP/s"] = perSecond(2.0 * 16 * kChains512 * kFmaIters / 1e9);
}

}  // namespace

void sigma::bench::registerMachineBenchmarks() {
  benchmark::RegisterBenchmark("machine/stream_rmw", BM_StreamRmw)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("machine/stream_rmw_2threads", BM_StreamRmw2Threads)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
  benchmark::RegisterBenchmark("machine/read_sum", BM_ReadSum)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("machine/fma_peak", BM_FmaPeak)->Unit(benchmark::kMillisecond);
  if (__builtin_cpu_supports("avx512f"))
    benchmark::RegisterBenchmark("machine/fma_peak_avx512", BM_FmaPeak512)->Unit(benchmark::kMillisecond);
}

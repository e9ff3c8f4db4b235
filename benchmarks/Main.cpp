// sigma-bench: Google Benchmark's main, plus context for the report
// (scripts/bench-report.py reads it from the JSON): the JIT's target and
// whether the libtorch peers were built. Its one flag of its own,
// --w5_seeds=N,M,..., adds W5 rows from other seeds (Bench.h).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <stdexcept>
#include <vector>

#include "benchmarks/Bench.h"
#include "benchmarks/peers/Gemm.h"

int main(int argc, char** argv) {
  std::vector<int> w5Seeds;
  try {
    w5Seeds = sigma::bench::takeW5Seeds(argc, argv);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "sigma-bench: %s\n", e.what());
    return 1;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  sigma::bench::registerMachineBenchmarks();
  sigma::bench::registerW1Benchmarks();
  sigma::bench::registerMatmulBenchmarks();
  sigma::bench::registerW2Benchmarks();
  sigma::bench::registerW3Benchmarks();
  sigma::bench::registerW4Benchmarks();
  sigma::bench::registerW5Benchmarks(w5Seeds);
#ifdef SIGMA_BENCH_HAVE_TORCH
  benchmark::AddCustomContext("sigma_libtorch", sigma::bench::registerLibtorchBenchmarks(w5Seeds));
#else
  benchmark::AddCustomContext("sigma_libtorch", "not installed (scripts/install-deps.sh --peers)");
#endif
  benchmark::AddCustomContext("sigma_gemm_peers", sigma::peers::gemmVersions());
  benchmark::AddCustomContext("sigma_jit_target", sigma::bench::jitTargetDescription());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

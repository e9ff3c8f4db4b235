// sigma-bench: Google Benchmark's main, plus context for the report
// (scripts/bench-report.py reads it from the JSON): the JIT's target and
// whether the libtorch peers were built.
#include <benchmark/benchmark.h>

#include "benchmarks/Bench.h"
#include "benchmarks/peers/Gemm.h"

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  sigma::bench::registerMachineBenchmarks();
  sigma::bench::registerW1Benchmarks();
  sigma::bench::registerMatmulBenchmarks();
  sigma::bench::registerW2Benchmarks();
  sigma::bench::registerW3Benchmarks();
  sigma::bench::registerW4Benchmarks();
  sigma::bench::registerW5Benchmarks();
#ifdef SIGMA_BENCH_HAVE_TORCH
  benchmark::AddCustomContext("sigma_libtorch", sigma::bench::registerLibtorchBenchmarks());
#else
  benchmark::AddCustomContext("sigma_libtorch", "not installed (scripts/install-deps.sh --peers)");
#endif
  benchmark::AddCustomContext("sigma_gemm_peers", sigma::peers::gemmVersions());
  benchmark::AddCustomContext("sigma_jit_target", sigma::bench::jitTargetDescription());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

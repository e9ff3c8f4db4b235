// W4, compile time (issue 5): W2's full training step (784-512-256-10 ReLU,
// cross-entropy, batch 128, momentum SGD, L1 + L2 on the weights, weight
// statistics), from the network to runnable code: graph passes, lowering,
// loop passes, LLVM IR, optimization, machine code, linking, the arena.
//   W4/cold_compile     the object cache off, tiered (compile()'s default):
//                       until the step can run, on its O0 tier (target: 250 ms)
//   W4/cold_until_o3    the same, until the O3 code has replaced the O0 tier
//   W4/cold_compile_o3  the cache off, no tiering: O3 directly
//   W4/cached_compile   the cache warm, in a temporary directory: no graph or
//                       loop passes (frontend/PipelineCache.h), no LLVM IR, no
//                       optimization, no machine code (target: 25 ms)
// Wall-clock time: a tiered compile's optimizer runs on a thread of its own.
// Counters: where an iteration's time went, in ms (the --time-passes rows of
// the code the step runs when compile() returns).
#include <benchmark/benchmark.h>

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "benchmarks/Bench.h"
#include "codegen/JitModule.h"
#include "frontend/Compile.h"

namespace sigma::bench {
namespace {

// W2's full step, as W2Bench.cpp builds it.
TrainingStep compileW2(const codegen::CacheOptions& cache, bool tiered = true) {
  Regularizer reg = reg::l1(1e-5f) + reg::l2(5e-4f);
  nn::Sequential net{nn::Linear(784, 512, init::torch_default(), reg), nn::ReLU(),
                     nn::Linear(512, 256, init::torch_default(), reg), nn::ReLU(),
                     nn::Linear(256, 10, init::torch_default(), reg)};
  CompileOptions options{.batch = 128, .tiered = tiered, .cache = cache};
  return compile(net, loss::cross_entropy(), optim::momentum({.lr = 0.01f, .momentum = 0.9f}), options);
}

// A cache directory for the run, removed at exit.
struct TemporaryCache {
  std::string dir;
  TemporaryCache() {
    std::string pattern = (std::filesystem::temp_directory_path() / "sigma-bench-cache-XXXXXX").string();
    if (mkdtemp(pattern.data())) dir = pattern;
  }
  ~TemporaryCache() {
    std::error_code ec;
    if (!dir.empty()) std::filesystem::remove_all(dir, ec);
  }
};

// Milliseconds per iteration of each stage group, summed over the iterations.
struct StageTotals {
  double passes = 0, llvmOpt = 0, machineCode = 0, cache = 0, link = 0, setup = 0;

  void add(TrainingStep& step) {
    const codegen::CodegenTimings& t = step.executable().currentJit()->timings();
    double all = 0, runtimeSetup = 0;
    for (const PassTiming& row : step.timings()) {
      all += row.milliseconds;
      if (row.name == "runtime-setup") runtimeSetup += row.milliseconds;
    }
    const double codegen = t.cacheLookup + t.emitIR + t.optimize + t.printIR + t.machineCode + t.cacheStore + t.link;
    passes += all - codegen - runtimeSetup;  // the frontend, the graph and loop passes
    setup += runtimeSetup;                    // target detection, the arena
    llvmOpt += t.emitIR + t.optimize + t.printIR;
    machineCode += t.machineCode;
    cache += t.cacheLookup + t.cacheStore;
    link += t.link;
  }
  void report(benchmark::State& state) const {
    auto avg = [](double ms) { return benchmark::Counter(ms, benchmark::Counter::kAvgIterations); };
    state.counters["passes_ms"] = avg(passes);
    state.counters["llvm_ir_opt_ms"] = avg(llvmOpt);
    state.counters["machine_code_ms"] = avg(machineCode);
    state.counters["cache_ms"] = avg(cache);
    state.counters["link_ms"] = avg(link);
    state.counters["setup_ms"] = avg(setup);
  }
};

// `untilOptimized`: also wait for a tiered compile's O3 code. A step is
// destroyed outside the timing: its destructor waits for its background compile.
void coldCompile(benchmark::State& state, bool tiered, bool untilOptimized) {
  StageTotals totals;
  for (auto _ : state) {
    auto step = std::make_unique<TrainingStep>(compileW2({.enabled = false}, tiered));
    totals.add(*step);  // the stages compile() recorded: the O0 tier's, when tiered
    if (untilOptimized) step->executable().jit();
    benchmark::DoNotOptimize(step->executable().currentJit()->entry());
    state.PauseTiming();
    step.reset();
    state.ResumeTiming();
  }
  totals.report(state);
}
void BM_ColdCompile(benchmark::State& state) { coldCompile(state, true, false); }
void BM_ColdUntilO3(benchmark::State& state) { coldCompile(state, true, true); }
void BM_ColdCompileO3(benchmark::State& state) { coldCompile(state, false, false); }

void BM_CachedCompile(benchmark::State& state) {
  static TemporaryCache cache;
  if (cache.dir.empty()) return state.SkipWithError("cannot create a temporary cache directory");
  const codegen::CacheOptions options{.enabled = true, .directory = cache.dir};
  compileW2(options);  // warms the cache (once per repetition; a hit after the first)
  StageTotals totals;
  for (auto _ : state) {
    TrainingStep step = compileW2(options);
    if (step.executable().jit()->cache().status != codegen::CacheStatus::Hit) {
      state.SkipWithError("the compile missed the warm cache");
      break;
    }
    totals.add(step);
    benchmark::DoNotOptimize(step.executable().jit()->entry());
  }
  totals.report(state);
}

}  // namespace

void registerW4Benchmarks() {
  benchmark::RegisterBenchmark("W4/cold_compile", BM_ColdCompile)->Unit(benchmark::kMillisecond)->UseRealTime();
  benchmark::RegisterBenchmark("W4/cold_until_o3", BM_ColdUntilO3)->Unit(benchmark::kMillisecond)->UseRealTime();
  benchmark::RegisterBenchmark("W4/cold_compile_o3", BM_ColdCompileO3)->Unit(benchmark::kMillisecond)->UseRealTime();
  benchmark::RegisterBenchmark("W4/cached_compile", BM_CachedCompile)->Unit(benchmark::kMillisecond)->UseRealTime();
}

}  // namespace sigma::bench

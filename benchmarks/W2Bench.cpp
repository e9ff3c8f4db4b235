// W2, the MLP step (BRIEF §4): 784-512-256-10, ReLU, softmax cross-entropy,
// batch 128, SGD momentum 0.9 lr 0.01, L2 5e-4 + L1 1e-5 on the weights,
// weight sums every step. Metric: ms per step and GFLOP/s counting
// 6·batch·weights FLOPs per step, as the peers do.
//   W2/sigma_step        the full step: penalties and statistics included
//   W2/sigma_step_plain  the same network and optimizer with no penalties
//                        and no statistics: what they cost is the ratio
//   W2/sigma_unfused     the full step with every fusion pass skipped
//   W2/sigma_step_2threads  the full step on 2 threads (parallel loops on the
//                        step's thread pool); timed by the wall clock, since
//                        CPU time would count only the calling thread
// One thread everywhere else.
#include <benchmark/benchmark.h>

#include <memory>
#include <vector>

#include "benchmarks/Bench.h"
#include "frontend/Compile.h"
#include "runtime/Rng.h"

namespace sigma::bench {
namespace {

constexpr int64_t kBatch = 128;
constexpr double kWeights = 784.0 * 512 + 512.0 * 256 + 256.0 * 10;

std::unique_ptr<TrainingStep> makeW2(bool regularized, bool fused, int threads = 1) {
  Regularizer reg = regularized ? reg::l1(1e-5f) + reg::l2(5e-4f) : Regularizer{};
  nn::Sequential net{nn::Linear(784, 512, init::torch_default(), reg), nn::ReLU(),
                     nn::Linear(512, 256, init::torch_default(), reg), nn::ReLU(),
                     nn::Linear(256, 10, init::torch_default(), reg)};
  CompileOptions options{.batch = kBatch};
  options.weightStats = regularized;
  options.passes.noFusion = !fused;
  options.threads = threads;
  auto step = std::make_unique<TrainingStep>(
      compile(net, loss::cross_entropy(), optim::momentum({.lr = 0.01f, .momentum = 0.9f}), options));
  Rng rng(5);
  std::vector<float> x(kBatch * 784), y(kBatch * 10, 0.0f);
  for (float& v : x) v = float(rng.unit());
  for (int64_t i = 0; i < kBatch; ++i) y[i * 10 + int64_t(rng.below(10))] = 1.0f;
  step->run(x, y);  // the batch, lr and coefficients into their buffers, once
  return step;
}

void run(benchmark::State& state, TrainingStep& step) {
  Executable& exec = step.executable();
  for (auto _ : state) {
    exec.run();
    benchmark::ClobberMemory();
  }
  state.counters["GFLOP/s"] = benchmark::Counter(6.0 * kBatch * kWeights * 1e-9,
                                                 benchmark::Counter::kIsIterationInvariantRate);
}

void BM_Step(benchmark::State& state) {
  static std::unique_ptr<TrainingStep> step = makeW2(true, true);
  run(state, *step);
}
void BM_Plain(benchmark::State& state) {
  static std::unique_ptr<TrainingStep> step = makeW2(false, true);
  run(state, *step);
}
void BM_TwoThreads(benchmark::State& state) {
  static std::unique_ptr<TrainingStep> step = makeW2(true, true, 2);
  run(state, *step);
}
void BM_Unfused(benchmark::State& state) {
  static std::unique_ptr<TrainingStep> step = makeW2(true, false);
  run(state, *step);
}

}  // namespace

void registerW2Benchmarks() {
  benchmark::RegisterBenchmark("W2/sigma_step", BM_Step)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("W2/sigma_step_plain", BM_Plain)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("W2/sigma_unfused", BM_Unfused)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("W2/sigma_step_2threads", BM_TwoThreads)->Unit(benchmark::kMillisecond)->UseRealTime();
}

}  // namespace sigma::bench

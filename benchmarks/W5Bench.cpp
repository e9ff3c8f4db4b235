// W5, Fashion-MNIST to accuracy (BRIEF §4): the W2 network (784-512-256-10,
// ReLU, cross-entropy) trained with Adam lr 1e-3, batch 128, L2 1e-5 +
// L1 1e-6 on the weights, inputs scaled to [0, 1], 10 epochs over the
// 60,000 training images (seeded shuffle, the partial batch dropped), then
// evaluated on the 10,000 test images (once, as the peer: fit's
// evaluateEvery). Metric: wall time of the 10 epochs
// and the final test accuracy (counter "test_accuracy_%").
//   W5/sigma_fit           sigma::fit on one thread
//   W5/sigma_fit_2threads  the same on 2 threads (the same bits)
// Each run is 10 epochs, so each family runs once (no repetitions); the
// data set is loaded and the step compiled (to its optimized code) before
// timing. The libtorch peer is W5/libtorch_eager
// (peers/LibtorchPeers.cpp).
#include <benchmark/benchmark.h>

#include <memory>

#include "benchmarks/Bench.h"
#include "frontend/Trainer.h"
#include "runtime/IdxReader.h"

namespace sigma::bench {
namespace {

const std::pair<Dataset, Dataset>& fashionMnist() {
  static const std::pair<Dataset, Dataset> data = loadFashionMnist();
  return data;
}

void BM_SigmaFit(benchmark::State& state, int threads) {
  const auto& [train, test] = fashionMnist();
  Regularizer reg = reg::l1(1e-6f) + reg::l2(1e-5f);
  nn::Sequential net{nn::Linear(784, 512, init::torch_default(), reg), nn::ReLU(),
                     nn::Linear(512, 256, init::torch_default(), reg), nn::ReLU(),
                     nn::Linear(256, 10, init::torch_default(), reg)};
  double accuracy = 0;
  for (auto _ : state) {
    state.PauseTiming();
    CompileOptions options{.batch = 128, .seed = 1};
    options.threads = threads;
    TrainingStep step = compile(net, loss::cross_entropy(), optim::adam({.lr = 1e-3f}), options);
    // Compiling is W4's: wait for the optimized code, so that a cold cache
    // (the first epochs on the O0 tier) and a warm one time the same thing.
    step.executable().jit();
    state.ResumeTiming();
    // The test set once, after the last epoch, as the libtorch peer does.
    FitHistory h = fit(step, train, &test, {.epochs = 10, .seed = 1, .evaluateEvery = 10, .progress = ProgressMode::Off});
    accuracy = h.epochs.back().test->accuracy;
  }
  state.counters["test_accuracy_%"] = 100 * accuracy;
}

}  // namespace

void registerW5Benchmarks() {
  benchmark::RegisterBenchmark("W5/sigma_fit", BM_SigmaFit, 1)
      ->Unit(benchmark::kSecond)->Iterations(1)->Repetitions(1)->UseRealTime();
  benchmark::RegisterBenchmark("W5/sigma_fit_2threads", BM_SigmaFit, 2)
      ->Unit(benchmark::kSecond)->Iterations(1)->Repetitions(1)->UseRealTime();
}

}  // namespace sigma::bench

// W5, Fashion-MNIST to accuracy (BRIEF §4): the W2 network (784-512-256-10,
// ReLU, cross-entropy) trained with Adam lr 1e-3, batch 128, L2 1e-5 +
// L1 1e-6 on the weights, inputs scaled to [0, 1], 10 epochs over the
// 60,000 training images (seeded shuffle, the partial batch dropped), then
// evaluated on the 10,000 test images (once, as the peer: fit's
// evaluateEvery). Metric: wall time of the 10 epochs
// and the final test accuracy (counter "test_accuracy_%").
//   W5/sigma_fit           sigma::fit on one thread
//   W5/sigma_fit_2threads  the same on 2 threads (the same bits)
//   W5/sigma_fit/seed:N    the same from seed N (weights and shuffles), for
//                          each N of sigma-bench --w5_seeds=N,M,... (Bench.h):
//                          the spread of the accuracy over seeds
// Each run is 10 epochs, one iteration; the seed-1 families run kW5Runs
// times (Bench.h) and the report quotes the median, the seed families once;
// the data set is loaded and the step compiled (to its optimized code)
// before timing. The libtorch peer is W5/libtorch_eager
// (peers/LibtorchPeers.cpp).
#include <benchmark/benchmark.h>

#include <charconv>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "benchmarks/Bench.h"
#include "frontend/Trainer.h"
#include "runtime/IdxReader.h"

namespace sigma::bench {
namespace {

const std::pair<Dataset, Dataset>& fashionMnist() {
  static const std::pair<Dataset, Dataset> data = loadFashionMnist();
  return data;
}

void BM_SigmaFit(benchmark::State& state, int threads, int seed) {
  const auto& [train, test] = fashionMnist();
  Regularizer reg = reg::l1(1e-6f) + reg::l2(1e-5f);
  nn::Sequential net{nn::Linear(784, 512, init::torch_default(), reg), nn::ReLU(),
                     nn::Linear(512, 256, init::torch_default(), reg), nn::ReLU(),
                     nn::Linear(256, 10, init::torch_default(), reg)};
  double accuracy = 0;
  for (auto _ : state) {
    state.PauseTiming();
    CompileOptions options{.batch = 128, .seed = uint64_t(seed)};
    options.threads = threads;
    TrainingStep step = compile(net, loss::cross_entropy(), optim::adam({.lr = 1e-3f}), options);
    // Compiling is W4's: wait for the optimized code, so that a cold cache
    // (the first epochs on the O0 tier) and a warm one time the same thing.
    step.executable().jit();
    state.ResumeTiming();
    // The test set once, after the last epoch, as the libtorch peer does.
    FitHistory h = fit(step, train, &test, {.epochs = 10, .seed = uint64_t(seed), .evaluateEvery = 10, .progress = ProgressMode::Off});
    accuracy = h.epochs.back().test->accuracy;
  }
  state.counters["test_accuracy_%"] = 100 * accuracy;
}

}  // namespace

void registerW5Benchmarks(const std::vector<int>& seeds) {
  benchmark::RegisterBenchmark("W5/sigma_fit", BM_SigmaFit, 1, 1)
      ->Unit(benchmark::kSecond)->Iterations(1)->Repetitions(kW5Runs)->UseRealTime();
  benchmark::RegisterBenchmark("W5/sigma_fit_2threads", BM_SigmaFit, 2, 1)
      ->Unit(benchmark::kSecond)->Iterations(1)->Repetitions(kW5Runs)->UseRealTime();
  for (int seed : seeds)
    benchmark::RegisterBenchmark(("W5/sigma_fit/seed:" + std::to_string(seed)).c_str(), BM_SigmaFit, 1, seed)
        ->Unit(benchmark::kSecond)->Iterations(1)->Repetitions(1)->UseRealTime();
}

std::vector<int> takeW5Seeds(int& argc, char** argv) {
  static constexpr std::string_view kFlag = "--w5_seeds=";
  std::vector<int> seeds;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (!arg.starts_with(kFlag)) {
      argv[kept++] = argv[i];
      continue;
    }
    std::string_view list = arg.substr(kFlag.size());
    while (true) {
      const std::string_view item = list.substr(0, list.find(','));
      int seed = 0;
      const auto [end, error] = std::from_chars(item.data(), item.data() + item.size(), seed);
      if (item.empty() || error != std::errc() || end != item.data() + item.size() || seed <= 0)
        throw std::invalid_argument("--w5_seeds: '" + std::string(item) + "' is not a positive integer (in '" +
                                    std::string(arg) + "')");
      seeds.push_back(seed);
      if (item.size() == list.size()) break;
      list.remove_prefix(item.size() + 1);
    }
  }
  argc = kept;
  return seeds;
}

}  // namespace sigma::bench

// libtorch eager peers, built only when CMake finds Torch (Debian's
// libtorch-dev; `scripts/install-deps.sh --peers`). They follow
// ../shared/peers/w1_libtorch.cpp and w3_libtorch.cpp, on one ATen thread:
//   W1/libtorch_eager  nn::Linear ×2, mse_loss + penalties, backward,
//                      optim::SGD, then Σw, Σ|w|, Σw² read back
//   W2/libtorch_eager  ../shared/peers/w2_libtorch.cpp: nn::Linear ×3, ReLU,
//                      cross_entropy + λ2·ΣW² + λ1·Σ|W| on the three weights,
//                      backward, optim::SGD with momentum, then Σw, Σ|w|, Σw²
//                      read back every step; the hand-written W2 peer's
//                      initial weights and batch, checked against it after
//                      10 steps (W2/libtorch_eager_2threads: 2 ATen threads)
//   W3/libtorch_ops    the 11 explicit tensor ops (3 sums first: statistics
//                      of the weights the step uses, as Sigma's)
//   W5/libtorch_eager  W5's recipe (W5Bench.cpp) in libtorch's C++ API:
//                      nn::Linear ×3 (its default init, as Sigma's
//                      torch_default), cross_entropy + λ1·Σ|W| + λ2·ΣW² on the
//                      three weights, optim::Adam, the same Fashion-MNIST
//                      tensors, a seeded randperm per epoch, the partial
//                      batch dropped; one run of 10 epochs, then the test set
//   W5/libtorch_eager/seed:N  the same from torch::manual_seed(N) (sigma-bench
//                      --w5_seeds), for the spread of the accuracy
//   W5/libtorch_eager_2threads  the same on 2 ATen threads (OpenBLAS as the
//                      environment sets it: under the tuned environment one
//                      thread, ../shared/peers' fastest 2-thread setting),
//                      so that Sigma's 2-thread W5 has a 2-thread peer
// As installed, glibc's malloc returns libtorch's big temporaries to the
// kernel every step; ../shared/peers/RESULTS.md shows the "tuned env"
// (MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_) that avoids it. These run
// in whatever environment sigma-bench gets.
#include <benchmark/benchmark.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

#include "benchmarks/Bench.h"
#include "benchmarks/peers/PeerCommon.h"
#include "benchmarks/peers/W2Handwritten.h"
#include "runtime/IdxReader.h"

namespace sigma::bench {
namespace {

struct Net : torch::nn::Module {
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
  Net() {
    fc1 = register_module("fc1", torch::nn::Linear(2, 3));
    fc2 = register_module("fc2", torch::nn::Linear(3, 1));
  }
  torch::Tensor forward(const torch::Tensor& x) { return fc2(torch::tanh(fc1(x))); }
};

void BM_W1LibtorchEager(benchmark::State& state) {
  using namespace peers::hp;
  Net net;
  {  // the peers' initial weights
    torch::NoGradGuard ng;
    peers::Rng rng(1);
    float w1[6], b1[3], w2[3], b2[1];
    peers::initLinear(rng, w1, b1, 3, 2);
    peers::initLinear(rng, w2, b2, 1, 3);
    net.fc1->weight.copy_(torch::from_blob(w1, {3, 2}));
    net.fc1->bias.copy_(torch::from_blob(b1, {3}));
    net.fc2->weight.copy_(torch::from_blob(w2, {1, 3}));
    net.fc2->bias.copy_(torch::from_blob(b2, {1}));
  }
  const auto X = torch::tensor({0.f, 0.f, 0.f, 1.f, 1.f, 0.f, 1.f, 1.f}).view({4, 2});
  const auto Y = torch::tensor({0.f, 1.f, 1.f, 0.f}).view({4, 1});
  torch::optim::SGD opt(net.parameters(), torch::optim::SGDOptions(w1_lr));
  const torch::Tensor& W1 = net.fc1->weight;
  const torch::Tensor& W2 = net.fc2->weight;
  float lossValue = 0, stats[3] = {0, 0, 0};
  auto step = [&] {
    opt.zero_grad();
    auto loss = torch::mse_loss(net.forward(X), Y) + w1_l1 * (W1.abs().sum() + W2.abs().sum()) +
                w1_l2 * (W1.pow(2).sum() + W2.pow(2).sum());
    loss.backward();
    opt.step();
    lossValue = loss.item<float>();
    torch::NoGradGuard ng;
    auto flat = torch::cat({W1.view(-1), W2.view(-1)});
    auto st = torch::stack({flat.sum(), flat.abs().sum(), flat.square().sum()});
    std::memcpy(stats, st.data_ptr<float>(), sizeof stats);
  };
  for (int i = 0; i < 1000; ++i) step();
  for (auto _ : state) {
    step();
    benchmark::DoNotOptimize(lossValue);
    benchmark::DoNotOptimize(stats);
  }
  state.counters["ns/step"] =
      benchmark::Counter(1e-9, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

struct W2Net : torch::nn::Module {
  torch::nn::Linear fc1{nullptr}, fc2{nullptr}, fc3{nullptr};
  W2Net() {
    using P = peers::W2Handwritten;
    fc1 = register_module("fc1", torch::nn::Linear(P::kIn, P::kHidden1));
    fc2 = register_module("fc2", torch::nn::Linear(P::kHidden1, P::kHidden2));
    fc3 = register_module("fc3", torch::nn::Linear(P::kHidden2, P::kClasses));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    return fc3(torch::relu(fc2(torch::relu(fc1(x)))));
  }
};

void BM_W2LibtorchEager(benchmark::State& state, int threads) {
  using P = peers::W2Handwritten;
  torch::set_num_threads(threads);
  const P initial(peers::GemmLibrary::OneDNN);  // its weights and batch (the library is not called)
  W2Net net;
  {
    torch::NoGradGuard ng;
    torch::nn::Linear* layers[3] = {&net.fc1, &net.fc2, &net.fc3};
    for (int i = 0; i < 3; ++i) {
      (*layers[i])->weight.copy_(torch::from_blob(const_cast<float*>(initial.layer(i).W.data()),
                                                  {initial.layer(i).out, initial.layer(i).in}));
      (*layers[i])->bias.copy_(torch::from_blob(const_cast<float*>(initial.layer(i).b.data()), {initial.layer(i).out}));
    }
  }
  const torch::Tensor X = torch::from_blob(const_cast<float*>(initial.x().data()), {P::kBatch, P::kIn}).clone();
  const torch::Tensor labels =
      torch::from_blob(const_cast<int*>(initial.labels().data()), {P::kBatch}, torch::kInt32).to(torch::kLong);
  torch::optim::SGD opt(net.parameters(), torch::optim::SGDOptions(0.01).momentum(0.9));
  const std::vector<torch::Tensor> weights = {net.fc1->weight, net.fc2->weight, net.fc3->weight};
  float lossValue = 0, stats[3] = {0, 0, 0};
  auto step = [&] {
    opt.zero_grad();
    auto loss = torch::nn::functional::cross_entropy(net.forward(X), labels);
    for (const torch::Tensor& w : weights) loss = loss + 5e-4 * w.pow(2).sum() + 1e-5 * w.abs().sum();
    loss.backward();
    opt.step();
    lossValue = loss.item<float>();
    torch::NoGradGuard ng;
    torch::Tensor s = torch::zeros({}), a = torch::zeros({}), q = torch::zeros({});
    for (const torch::Tensor& w : weights) {
      s += w.sum();
      a += w.abs().sum();
      q += w.square().sum();
    }
    auto st = torch::stack({s, a, q});
    std::memcpy(stats, st.data_ptr<float>(), sizeof stats);
  };
  for (int i = 0; i < 10; ++i) step();
  // The same 10 steps by the hand-written peer (where a GEMM library is
  // built in): the weight sums must agree, as W2/sigma_step's must.
  const auto libraries = peers::availableGemmLibraries();
  if (!libraries.empty()) {
    P peer(libraries[0]);
    for (int i = 0; i < 10; ++i) peer.step();
    const P::Stats& want = peer.stats();
    if (std::fabs(stats[0] - want.sum) > 1e-4 * want.sumabs || std::fabs(stats[1] - want.sumabs) > 1e-4 * want.sumabs ||
        std::fabs(stats[2] - want.sumsq) > 1e-4 * want.sumsq) {
      char text[256];
      std::snprintf(text, sizeof text, "W2 libtorch check failed after 10 steps: sum=%.7g abs=%.7g sq=%.7g, "
                    "hand-written peer sum=%.7g abs=%.7g sq=%.7g", stats[0], stats[1], stats[2], want.sum,
                    want.sumabs, want.sumsq);
      torch::set_num_threads(1);
      return state.SkipWithError(text);
    }
  }
  for (auto _ : state) {
    step();
    benchmark::DoNotOptimize(lossValue);
    benchmark::DoNotOptimize(stats);
  }
  torch::set_num_threads(1);  // the other libtorch peers' setting
  state.counters["GFLOP/s"] = benchmark::Counter(
      6.0 * P::kBatch * (P::kIn * P::kHidden1 + P::kHidden1 * P::kHidden2 + P::kHidden2 * P::kClasses) * 1e-9,
      benchmark::Counter::kIsIterationInvariantRate);
}

void BM_W3LibtorchOps(benchmark::State& state) {
  using namespace peers::hp;
  const int64_t N = w3_n;
  auto w = torch::empty({N}), g = torch::empty({N}), m = torch::zeros({N});
  {
    peers::Rng rng(3);
    float *wp = w.data_ptr<float>(), *gp = g.data_ptr<float>();
    for (int64_t i = 0; i < N; ++i) wp[i] = rng.uniform(0.05);
    for (int64_t i = 0; i < N; ++i) gp[i] = rng.uniform(1e-3);
  }
  float stats[3];
  auto step = [&] {
    auto st = torch::stack({w.sum(), w.abs().sum(), w.square().sum()});
    std::memcpy(stats, st.data_ptr<float>(), sizeof stats);
    auto d = torch::add(g, w, 2 * w3_l2);  // g + 2·l2·w
    d.add_(w.sign(), w3_l1);               // + l1·sign(w)
    m.mul_(w3_mom).add_(d);                // momentum
    w.add_(m, -w3_lr);                     // update
  };
  step(), step();
  for (auto _ : state) {
    step();
    benchmark::DoNotOptimize(stats);
  }
  state.counters["GB/s"] = benchmark::Counter(20.0 * double(N) / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

struct W5Net : torch::nn::Module {
  torch::nn::Linear fc1{nullptr}, fc2{nullptr}, fc3{nullptr};
  W5Net() {
    fc1 = register_module("fc1", torch::nn::Linear(784, 512));
    fc2 = register_module("fc2", torch::nn::Linear(512, 256));
    fc3 = register_module("fc3", torch::nn::Linear(256, 10));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    return fc3(torch::relu(fc2(torch::relu(fc1(x)))));
  }
};

torch::Tensor asTensor(const Dataset& d) {
  return torch::from_blob(const_cast<float*>(d.features.data()), {d.count, 784}).clone();
}
torch::Tensor labelsOf(const Dataset& d) {
  return torch::from_blob(const_cast<int32_t*>(d.labels.data()), {d.count}, torch::kInt32).to(torch::kLong);
}

void BM_W5LibtorchEager(benchmark::State& state, int threads, int seed) {
  const auto [train, test] = loadFashionMnist();
  torch::set_num_threads(threads);
  const torch::Tensor X = asTensor(train), Y = labelsOf(train), Xt = asTensor(test), Yt = labelsOf(test);
  double accuracy = 0;
  for (auto _ : state) {
    torch::manual_seed(uint64_t(seed));
    W5Net net;
    torch::optim::Adam opt(net.parameters(), torch::optim::AdamOptions(1e-3));
    const int64_t batch = 128, steps = train.count / batch;
    for (int epoch = 0; epoch < 10; ++epoch) {
      const torch::Tensor order = torch::randperm(train.count, torch::kLong);
      for (int64_t s = 0; s < steps; ++s) {
        const torch::Tensor idx = order.slice(0, s * batch, (s + 1) * batch);
        opt.zero_grad();
        torch::Tensor loss = torch::nn::functional::cross_entropy(net.forward(X.index_select(0, idx)),
                                                                  Y.index_select(0, idx));
        for (const torch::Tensor* w : {&net.fc1->weight, &net.fc2->weight, &net.fc3->weight})
          loss = loss + 1e-6 * w->abs().sum() + 1e-5 * w->square().sum();
        loss.backward();
        opt.step();
      }
    }
    torch::NoGradGuard ng;
    accuracy = net.forward(Xt).argmax(1).eq(Yt).to(torch::kDouble).mean().item<double>();
  }
  torch::set_num_threads(1);  // the other libtorch peers' setting
  state.counters["test_accuracy_%"] = 100 * accuracy;
}

}  // namespace

std::string registerLibtorchBenchmarks(const std::vector<int>& w5Seeds) {
  torch::set_num_threads(1);
  benchmark::RegisterBenchmark("W1/libtorch_eager", BM_W1LibtorchEager)->Unit(benchmark::kNanosecond);
  benchmark::RegisterBenchmark("W2/libtorch_eager", BM_W2LibtorchEager, 1)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("W2/libtorch_eager_2threads", BM_W2LibtorchEager, 2)
      ->Unit(benchmark::kMillisecond)->UseRealTime();
  benchmark::RegisterBenchmark("W3/libtorch_ops", BM_W3LibtorchOps)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("W5/libtorch_eager", BM_W5LibtorchEager, 1, 1)
      ->Unit(benchmark::kSecond)->Iterations(1)->Repetitions(kW5Runs)->UseRealTime();
  benchmark::RegisterBenchmark("W5/libtorch_eager_2threads", BM_W5LibtorchEager, 2, 1)
      ->Unit(benchmark::kSecond)->Iterations(1)->Repetitions(kW5Runs)->UseRealTime();
  for (int seed : w5Seeds)
    benchmark::RegisterBenchmark(("W5/libtorch_eager/seed:" + std::to_string(seed)).c_str(), BM_W5LibtorchEager, 1, seed)
        ->Unit(benchmark::kSecond)->Iterations(1)->Repetitions(1)->UseRealTime();
  return std::string("libtorch ") + TORCH_VERSION + ", 1 thread (W5/libtorch_eager_2threads: 2)";
}

}  // namespace sigma::bench

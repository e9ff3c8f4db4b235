// W2, the MLP step (BRIEF §4): 784-512-256-10, ReLU, softmax cross-entropy,
// batch 128, SGD momentum 0.9 lr 0.01, L2 5e-4 + L1 1e-5 on the weights,
// weight sums every step. Metric: ms per step and GFLOP/s counting
// 6·batch·weights FLOPs per step, as the peers do.
//   W2/sigma_step        the full step: penalties and statistics included
//   W2/sigma_step_plain  the same network and optimizer with no penalties
//                        and no statistics: what they cost is the ratio
//   W2/sigma_unfused     the full step with every fusion pass skipped
//   W2/sigma_step_2threads  the full step on 2 threads (parallel loops on the
//                        step's thread pool)
//   W2/<lib>_handwritten[_2threads]  peer: the hand-written step with
//                        oneDNN's or OpenBLAS's sgemm (peers/W2Handwritten.h),
//                        where sigma-bench was built with that library; on 2
//                        threads only oneDNN's, whose threads are OpenMP's as
//                        the peer's loops are. OpenBLAS's own pthreads and the
//                        loops' OpenMP team spin against each other on 2
//                        cores (11 ms a step here against 2.4 ms for
//                        ../shared/peers' program, which runs it under
//                        OMP_WAIT_POLICY=passive; libgomp reads that once per
//                        process, and passive would slow oneDNN's team), so
//                        that row would measure the oversubscription
//   W2/libtorch_eager[_2threads]  peer: libtorch eager (peers/LibtorchPeers.cpp)
// Two-thread rows are timed by the wall clock, since CPU time would count
// only the calling thread; one thread everywhere else.
//
// Every Sigma step starts from the peer's initial weights and batch, and
// before anything is timed the full step must land on the hand-written
// peer's weight sums after 10 steps; otherwise W2/sigma_step reports an error.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "benchmarks/Bench.h"
#include "benchmarks/peers/W2Handwritten.h"
#include "frontend/Compile.h"

namespace sigma::bench {
namespace {

using peers::W2Handwritten;
constexpr int64_t kBatch = W2Handwritten::kBatch;
constexpr double kWeights = 784.0 * 512 + 512.0 * 256 + 256.0 * 10;

struct W2Sigma {
  std::unique_ptr<TrainingStep> step;
  std::string error;  // empty when the check against the peer passed (or did not run)
};

// The peer's initial state and batch (the same for every GEMM library).
const W2Handwritten& initialPeer() {
  static const W2Handwritten peer(peers::availableGemmLibraries().empty() ? peers::GemmLibrary::OneDNN
                                                                          : peers::availableGemmLibraries()[0]);
  return peer;
}

// Σw, Σ|w|, Σw² over the three weight matrices, as the peer sums them.
W2Handwritten::Stats weightSums(const StepResult& r) {
  W2Handwritten::Stats s;
  for (const WeightStats& w : r.weights)
    if (w.name.ends_with(".weight")) s.sum += w.sum, s.sumabs += w.abs_sum, s.sumsq += w.sq_sum;
  return s;
}

std::string checkAgainstPeer(TrainingStep& step, std::span<const float> x, std::span<const float> y) {
  auto libraries = peers::availableGemmLibraries();
  if (libraries.empty()) return "";
  W2Handwritten peer(libraries[0]);
  for (int i = 0; i < 10; ++i) peer.step();
  step.run(x, y, 10);
  // The peer's sums are of its weights after step 10: Sigma reports those
  // as step 11's statistics (the weights that step uses).
  W2Handwritten::Stats got = weightSums(step.run(x, y)), want = peer.stats();
  const double scale = want.sumabs;
  if (std::fabs(got.sum - want.sum) <= 1e-4 * scale && std::fabs(got.sumabs - want.sumabs) <= 1e-4 * scale &&
      std::fabs(got.sumsq - want.sumsq) <= 1e-4 * want.sumsq)
    return "";
  char text[256];
  std::snprintf(text, sizeof text, "W2 check failed after 10 steps: sigma sum=%.7g abs=%.7g sq=%.7g, peer sum=%.7g "
                "abs=%.7g sq=%.7g", got.sum, got.sumabs, got.sumsq, want.sum, want.sumabs, want.sumsq);
  return text;
}

std::unique_ptr<W2Sigma> makeW2(bool regularized, bool fused, int threads = 1) {
  Regularizer reg = regularized ? reg::l1(1e-5f) + reg::l2(5e-4f) : Regularizer{};
  nn::Sequential net{nn::Linear(784, 512, init::torch_default(), reg), nn::ReLU(),
                     nn::Linear(512, 256, init::torch_default(), reg), nn::ReLU(),
                     nn::Linear(256, 10, init::torch_default(), reg)};
  CompileOptions options{.batch = kBatch};
  options.weightStats = regularized;
  options.passes.noFusion = !fused;
  options.threads = threads;
  auto w2 = std::make_unique<W2Sigma>();
  w2->step = std::make_unique<TrainingStep>(
      compile(net, loss::cross_entropy(), optim::momentum({.lr = 0.01f, .momentum = 0.9f}), options));
  TrainingStep& step = *w2->step;
  step.executable().jit();  // a tiered compile: time the O3 code, not the O0 stand-in
  const W2Handwritten& peer = initialPeer();
  for (int i = 0; i < 3; ++i) {
    const std::string name = "fc" + std::to_string(i + 1);
    std::copy(peer.layer(i).W.begin(), peer.layer(i).W.end(), step.parameter(name + ".weight").begin());
    std::copy(peer.layer(i).b.begin(), peer.layer(i).b.end(), step.parameter(name + ".bias").begin());
  }
  std::vector<float> y(kBatch * 10, 0.0f);
  for (int64_t i = 0; i < kBatch; ++i) y[i * 10 + peer.labels()[i]] = 1.0f;
  if (regularized && fused && threads == 1) w2->error = checkAgainstPeer(step, peer.x(), y);
  step.run(peer.x(), y);  // the batch, lr and coefficients into their buffers
  return w2;
}

void setRate(benchmark::State& state) {
  state.counters["GFLOP/s"] = benchmark::Counter(6.0 * kBatch * kWeights * 1e-9,
                                                 benchmark::Counter::kIsIterationInvariantRate);
}

void run(benchmark::State& state, const W2Sigma& w2) {
  if (!w2.error.empty()) return state.SkipWithError(w2.error.c_str());
  Executable& exec = w2.step->executable();
  for (auto _ : state) {
    exec.run();
    benchmark::ClobberMemory();
  }
  setRate(state);
}

void BM_Step(benchmark::State& state) {
  static std::unique_ptr<W2Sigma> w2 = makeW2(true, true);
  run(state, *w2);
}
void BM_Plain(benchmark::State& state) {
  static std::unique_ptr<W2Sigma> w2 = makeW2(false, true);
  run(state, *w2);
}
void BM_TwoThreads(benchmark::State& state) {
  static std::unique_ptr<W2Sigma> w2 = makeW2(true, true, 2);
  run(state, *w2);
}
void BM_Unfused(benchmark::State& state) {
  static std::unique_ptr<W2Sigma> w2 = makeW2(true, false);
  run(state, *w2);
}

void BM_Handwritten(benchmark::State& state, peers::GemmLibrary library, int threads) {
  peers::setPeerThreads(threads);
  W2Handwritten peer(library);
  for (auto _ : state) {
    peer.step();
    benchmark::ClobberMemory();
  }
  peers::setPeerThreads(1);  // no OpenMP or OpenBLAS threads left spinning for the next benchmark
  setRate(state);
}

}  // namespace

void registerW2Benchmarks() {
  benchmark::RegisterBenchmark("W2/sigma_step", BM_Step)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("W2/sigma_step_plain", BM_Plain)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("W2/sigma_unfused", BM_Unfused)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("W2/sigma_step_2threads", BM_TwoThreads)->Unit(benchmark::kMillisecond)->UseRealTime();
  for (peers::GemmLibrary library : peers::availableGemmLibraries()) {
    const std::string name = std::string("W2/") + peers::gemmName(library) + "_handwritten";
    benchmark::RegisterBenchmark(name.c_str(), BM_Handwritten, library, 1)->Unit(benchmark::kMillisecond);
    if (library != peers::GemmLibrary::OneDNN) continue;  // see the top of this file
    benchmark::RegisterBenchmark((name + "_2threads").c_str(), BM_Handwritten, library, 2)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  }
}

}  // namespace sigma::bench

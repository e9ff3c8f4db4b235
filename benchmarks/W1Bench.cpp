// W1, the seed network (BRIEF §4): 2-3-1 tanh MLP, MSE, XOR batch of 4,
// SGD lr 0.1, L1 1e-4 + L2 1e-4 on both weight matrices, weight sums every
// step. Metric: ns per step (counter "ns/step", per CPU second like every
// rate here: see Bench.h).
//   W1/sigma_run           TrainingStep::run(x, y): copies the batch in, runs
//                          the step, returns a StepResult (loss + 4 × 6 stats)
//   W1/sigma_step_only     Executable::run() on a batch copied in once: the
//                          compiled step alone (it still computes every stat)
//   W1/sigma_unfused       the same, compiled with every fusion pass skipped
//   W1/sigma_compiled_loop TrainingStep::runLoop, 1000 steps per native call
//                          (what fit runs): per step the host writes its
//                          feeds, the compiled loop gathers the batch
//                          through the order, steps and records the stats
//   W1/sigma_loop_native   Executable::runLoop on feeds written once: the
//                          native loop alone
//   W1/handwritten_scalar  the peer's scalar step + stats (peers/W1Handwritten.h)
//   W1/handwritten_avx2    the whole step in AVX2 registers (peers/W1Avx2.h;
//                          AVX2 + FMA builds only): the fastest peer on an
//                          AVX2 host
//   W1/handwritten_avx512  the fastest peer: the whole step in AVX-512
//                          registers (peers/W1Avx512.h; AVX-512 builds only)
// Both vector peers are checked against the scalar peer after 1000 steps.
//
// Before anything is timed, each Sigma step gets the peers' initial weights
// and must land on the hand-written peer's numbers after 1000 steps;
// otherwise the benchmark reports an error instead of a time.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "benchmarks/Bench.h"
#include "benchmarks/peers/W1Avx2.h"
#include "benchmarks/peers/W1Avx512.h"
#include "benchmarks/peers/W1Handwritten.h"
#include "codegen/JitModule.h"
#include "frontend/SeedNetwork.h"

namespace sigma::bench {
namespace {

struct W1Sigma {
  TrainingStep step;
  std::string error;  // empty when the check against the peer passed
};

bool near(double a, double b) { return std::fabs(a - b) <= 1e-5 * std::max(1.0, std::fabs(b)); }

// Empty when Sigma's loss after 1000 steps and the sums of the weights
// after them (`next`: the statistics of step 1001, on the weights it uses)
// are the peer's; else what differs.
std::string peerMismatch(const char* what, float loss, const StepResult& next, const peers::W1Result& expected) {
  float sum = 0, abs = 0, sq = 0;
  for (const WeightStats& s : next.weights)
    if (s.name.ends_with(".weight")) sum += s.sum, abs += s.abs_sum, sq += s.sq_sum;
  if (near(loss, expected.loss) && near(sum, expected.sum) && near(abs, expected.sumabs) && near(sq, expected.sumsq))
    return "";
  char text[256];
  std::snprintf(text, sizeof text,
                "%s check failed after 1000 steps: sigma loss=%.7g sum=%.7g abs=%.7g sq=%.7g, "
                "peer loss=%.7g sum=%.7g abs=%.7g sq=%.7g",
                what, loss, sum, abs, sq, expected.loss, expected.sum, expected.sumabs, expected.sumsq);
  return text;
}

// The seed network of frontend/SeedNetwork.h, compiled as `sigma train`
// compiles it, with the peers' initial weights (PyTorch's default init from
// splitmix64 seed 1) written over its own; `expected` gets the hand-written
// peer's result after `steps` steps from those weights.
std::unique_ptr<W1Sigma> seedStepWithPeerWeights(bool fused, int64_t steps, peers::W1Result& expected) {
  CompileOptions options;
  options.batch = 4;
  options.passes.noFusion = !fused;
  auto w1 = std::make_unique<W1Sigma>(W1Sigma{compile(seedNetwork(), seedLoss(), seedOptimizer(), options), {}});
  TrainingStep& step = w1->step;
  step.executable().jit();  // a tiered compile: time the O3 code, not the O0 stand-in
  peers::Rng rng(1);
  peers::initLinear(rng, step.parameter("fc1.weight").data(), step.parameter("fc1.bias").data(), 3, 2);
  peers::initLinear(rng, step.parameter("fc2.weight").data(), step.parameter("fc2.bias").data(), 1, 3);
  XorBatch batch;
  peers::W1Handwritten peer(batch.x.data(), batch.y.data());
  for (int64_t i = 0; i < steps; ++i) expected = peer.step();
  return w1;
}

// That step, checked against the peer after 1000 steps.
std::unique_ptr<W1Sigma> makeW1(bool fused) {
  peers::W1Result expected{};
  std::unique_ptr<W1Sigma> w1 = seedStepWithPeerWeights(fused, 1000, expected);
  TrainingStep& step = w1->step;
  XorBatch batch;
  StepResult r = step.run(batch.x, batch.y, 1000);
  // The peer's sums are of the weights after its step 1000: Sigma reports
  // those as the statistics of step 1001 (the weights that step uses).
  StepResult next = step.run(batch.x, batch.y);
  w1->error = peerMismatch("W1", r.loss, next, expected);
  return w1;
}

// The compiled training loop (TrainingStep::runLoop) over the XOR batch:
// the four samples in order, every step, at lr 0.1.
struct W1Loop {
  static constexpr int64_t kSteps = 1000;
  XorBatch batch;
  std::vector<int32_t> order;
  std::vector<float> rates;
  W1Loop() {
    for (int64_t s = 0; s < kSteps; ++s) order.insert(order.end(), {0, 1, 2, 3});
    rates.assign(size_t(kSteps), seedOptimizer().lr);
  }
  TrainingStep::LoopBatches batches() const { return {batch.x, batch.y, order, rates}; }
};

// The compiled loop from the peers' initial weights must land on the
// peer's numbers after 1000 steps, like the per-step check above.
std::unique_ptr<W1Sigma> makeW1Loop() {
  peers::W1Result expected{};
  std::unique_ptr<W1Sigma> w1 = seedStepWithPeerWeights(true, W1Loop::kSteps, expected);
  TrainingStep& step = w1->step;
  W1Loop loop;
  step.runLoop(loop.batches(), 0, W1Loop::kSteps);
  const float loss = step.loopResult(W1Loop::kSteps - 1).loss;
  step.runLoop(loop.batches(), 0, 1);  // the statistics of the weights after step 1000
  w1->error = peerMismatch("W1 compiled-loop", loss, step.loopResult(0), expected);
  return w1;
}

// Compiled once per process (the benchmark functions run several times:
// iteration-count estimation, then each repetition).
W1Sigma& w1(bool fused) {
  static std::unique_ptr<W1Sigma> f = makeW1(true);
  static std::unique_ptr<W1Sigma> u;
  if (fused) return *f;
  if (!u) u = makeW1(false);
  return *u;
}

void nsPerStep(benchmark::State& state) {
  // 1e-9 · iterations / seconds, inverted: nanoseconds per iteration.
  state.counters["ns/step"] = benchmark::Counter(
      1e-9, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

void BM_SigmaRun(benchmark::State& state) {
  W1Sigma& s = w1(true);
  if (!s.error.empty()) return state.SkipWithError(s.error.c_str());
  XorBatch batch;
  for (auto _ : state) {
    StepResult r = s.step.run(batch.x, batch.y);
    benchmark::DoNotOptimize(r.loss);
  }
  nsPerStep(state);
}

void stepOnly(benchmark::State& state, W1Sigma& s) {
  if (!s.error.empty()) return state.SkipWithError(s.error.c_str());
  XorBatch batch;
  s.step.run(batch.x, batch.y);  // batch, lr and penalty coefficients into their buffers, once
  Executable& exec = s.step.executable();
  for (auto _ : state) {
    exec.run();
    benchmark::ClobberMemory();
  }
  nsPerStep(state);
}

void BM_SigmaStepOnly(benchmark::State& state) { stepOnly(state, w1(true)); }
void BM_SigmaUnfused(benchmark::State& state) { stepOnly(state, w1(false)); }

// Each iteration is W1Loop::kSteps steps: ns/step = seconds / (iterations ·
// steps) · 1e9; steps/iter tells scripts/bench-report.py to divide its times.
void loopSteps(benchmark::State& state) {
  state.counters["ns/step"] = benchmark::Counter(
      1e-9 * double(W1Loop::kSteps), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.counters["steps/iter"] = double(W1Loop::kSteps);
}

void BM_SigmaCompiledLoop(benchmark::State& state) {
  static std::unique_ptr<W1Sigma> s = makeW1Loop();
  if (!s->error.empty()) return state.SkipWithError(s->error.c_str());
  const W1Loop loop;
  for (auto _ : state) {
    s->step.runLoop(loop.batches(), 0, W1Loop::kSteps);
    benchmark::ClobberMemory();
  }
  loopSteps(state);
}

void BM_HandwrittenScalar(benchmark::State& state) {
  XorBatch batch;
  peers::W1Handwritten peer(batch.x.data(), batch.y.data());
  benchmark::DoNotOptimize(&peer);  // the batch is runtime data: no constant folding
  benchmark::ClobberMemory();
  for (int i = 0; i < 1000; ++i) peer.step();  // the same warm-up as Sigma's check
  for (auto _ : state) {
    peers::W1Result r = peer.step();
    benchmark::DoNotOptimize(r);  // every result is "read back"
  }
  nsPerStep(state);
}

void BM_SigmaLoopNative(benchmark::State& state) {
  static std::unique_ptr<W1Sigma> s = makeW1Loop();
  if (!s->error.empty()) return state.SkipWithError(s->error.c_str());
  const W1Loop loop;
  s->step.runLoop(loop.batches(), 0, W1Loop::kSteps);
  for (auto _ : state) {
    s->step.executable().runLoop(0, W1Loop::kSteps);
    benchmark::ClobberMemory();
  }
  loopSteps(state);
}

// A vector peer (W1Avx512, W1Avx2), checked against the scalar peer first.
template <typename Peer>
void handwrittenVector(benchmark::State& state, const char* mismatch) {
  XorBatch batch;
  peers::W1Handwritten scalar(batch.x.data(), batch.y.data());
  Peer peer(batch.x.data(), batch.y.data(), scalar.p);
  benchmark::DoNotOptimize(&peer);
  benchmark::ClobberMemory();
  peers::W1Result fast{}, reference{};
  for (int i = 0; i < 1000; ++i) fast = peer.step(), reference = scalar.step();
  // Its tanh is not glibc's: the same numbers within float noise.
  auto close = [](float a, float b) { return std::fabs(a - b) <= 1e-4f * std::max(1.0f, std::fabs(b)); };
  if (!close(fast.loss, reference.loss) || !close(fast.sum, reference.sum) ||
      !close(fast.sumabs, reference.sumabs) || !close(fast.sumsq, reference.sumsq))
    return state.SkipWithError(mismatch);
  for (auto _ : state) {
    peers::W1Result r = peer.step();
    benchmark::DoNotOptimize(r);
  }
  nsPerStep(state);
}

void BM_HandwrittenAvx512(benchmark::State& state) {
  handwrittenVector<peers::W1Avx512>(state, "W1 AVX-512 peer disagrees with the scalar peer after 1000 steps");
}
void BM_HandwrittenAvx2(benchmark::State& state) {
  handwrittenVector<peers::W1Avx2>(state, "W1 AVX2 peer disagrees with the scalar peer after 1000 steps");
}

}  // namespace

void registerW1Benchmarks() {
  struct Entry {
    const char* name;
    void (*fn)(benchmark::State&);
  };
  const Entry entries[] = {
      {"W1/sigma_run", BM_SigmaRun},
      {"W1/sigma_step_only", BM_SigmaStepOnly},
      {"W1/sigma_unfused", BM_SigmaUnfused},
      {"W1/sigma_compiled_loop", BM_SigmaCompiledLoop},
      {"W1/sigma_loop_native", BM_SigmaLoopNative},
      {"W1/handwritten_scalar", BM_HandwrittenScalar},
  };
  for (const Entry& e : entries) benchmark::RegisterBenchmark(e.name, e.fn)->Unit(benchmark::kNanosecond);
  if (peers::W1Avx2::kAvailable)
    benchmark::RegisterBenchmark("W1/handwritten_avx2", BM_HandwrittenAvx2)->Unit(benchmark::kNanosecond);
  if (peers::W1Avx512::kAvailable)
    benchmark::RegisterBenchmark("W1/handwritten_avx512", BM_HandwrittenAvx512)->Unit(benchmark::kNanosecond);
}

std::string jitTargetDescription() {
  const codegen::JitModule* jit = w1(true).step.executable().jit();
  return jit ? jit->targetDescription() : "interpreter";
}

}  // namespace sigma::bench

// Concurrency: separate compiled training steps, compiled and run at the
// same time from several threads, give bit for bit what each gives alone.
// `make test-tsan` runs these tests under ThreadSanitizer (the interpreter
// and everything Sigma does around the JIT is instrumented; the JIT's own
// code and libLLVM are not).
#include <gtest/gtest.h>

#include <barrier>
#include <cstdint>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "frontend/SeedNetwork.h"
#include "runtime/ThreadPool.h"

using namespace sigma;

namespace {

constexpr int kThreads = 4;
constexpr int kSteps = 300;

// Everything a run produces: the loss of every step, the last step's
// weight statistics and the final parameters.
struct Trace {
  std::vector<float> losses;
  std::vector<float> stats;
  std::vector<float> params;
};

// One worker's configuration: a different seed per worker, and every
// other one on the reference interpreter (instrumented, unlike JIT code).
CompileOptions optionsFor(int worker) {
  return {.batch = 4, .seed = uint64_t(1 + worker), .backend = worker % 2 ? Backend::Interpreter : Backend::JIT};
}

Trace train(TrainingStep& step) {
  XorBatch b;
  Trace t;
  StepResult r;
  for (int s = 0; s < kSteps; ++s) {
    r = step.run(b.x, b.y);
    t.losses.push_back(r.loss);
  }
  for (const WeightStats& w : r.weights)
    t.stats.insert(t.stats.end(), {w.sum, w.abs_sum, w.sq_sum, w.max_abs, w.zeros, w.grad_sq_sum});
  for (const std::string& name : step.parameterNames()) {
    std::span<const float> p = std::as_const(step).parameter(name);
    t.params.insert(t.params.end(), p.begin(), p.end());
  }
  return t;
}

Trace compileAndTrain(int worker) {
  TrainingStep step = compile(seedNetwork(), seedLoss(), seedOptimizer(), optionsFor(worker));
  return train(step);
}

// Bitwise: NaNs and signed zeros included.
bool sameBits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

void expectSame(const Trace& alone, const Trace& together, int worker) {
  EXPECT_TRUE(sameBits(alone.losses, together.losses)) << "worker " << worker << ": losses differ";
  EXPECT_TRUE(sameBits(alone.stats, together.stats)) << "worker " << worker << ": weight statistics differ";
  EXPECT_TRUE(sameBits(alone.params, together.params)) << "worker " << worker << ": parameters differ";
  EXPECT_EQ(alone.losses.size(), size_t(kSteps));
}

std::vector<Trace> aloneTraces() {
  std::vector<Trace> alone;
  for (int w = 0; w < kThreads; ++w) alone.push_back(compileAndTrain(w));
  return alone;
}

}  // namespace

// Every thread compiles its own step (LLVM context, JIT, arena) and trains
// it, all starting at the same moment.
TEST(Concurrency, StepsCompiledAndRunInParallelMatchRunningAlone) {
  const std::vector<Trace> alone = aloneTraces();
  // Seeds differ, so the workers really compute different things.
  EXPECT_FALSE(sameBits(alone[0].params, alone[2].params));
  for (int round = 0; round < 2; ++round) {
    std::vector<Trace> together(kThreads);
    std::barrier start(kThreads);
    std::vector<std::thread> threads;
    for (int w = 0; w < kThreads; ++w)
      threads.emplace_back([&, w] {
        start.arrive_and_wait();
        together[size_t(w)] = compileAndTrain(w);
      });
    for (std::thread& t : threads) t.join();
    for (int w = 0; w < kThreads; ++w) expectSame(alone[size_t(w)], together[size_t(w)], w);
  }
}

// Steps compiled up front, then run in parallel; while they run, other
// threads compile new steps and print every stage of one (the assembly
// runs LLVM's backend again).
TEST(Concurrency, RunningWhileOthersCompileMatchesRunningAlone) {
  const std::vector<Trace> alone = aloneTraces();
  std::vector<TrainingStep> steps;
  for (int w = 0; w < kThreads; ++w)
    steps.push_back(compile(seedNetwork(), seedLoss(), seedOptimizer(), optionsFor(w)));
  std::vector<Trace> together(kThreads);
  std::vector<std::string> assembly(2);
  std::barrier start(kThreads + 2);
  std::vector<std::thread> threads;
  for (int w = 0; w < kThreads; ++w)
    threads.emplace_back([&, w] {
      start.arrive_and_wait();
      together[size_t(w)] = train(steps[size_t(w)]);
    });
  for (int c = 0; c < 2; ++c)
    threads.emplace_back([&, c] {
      start.arrive_and_wait();
      TrainingStep extra = compile(seedNetwork(), seedLoss(), seedOptimizer(), {.batch = 4, .seed = 7});
      for (Stage s : {Stage::ForwardGraph, Stage::Graph, Stage::LoopIR, Stage::LLVMIR}) (void)extra.dump(s);
      assembly[size_t(c)] = extra.dump(Stage::Assembly);
    });
  for (std::thread& t : threads) t.join();
  for (int w = 0; w < kThreads; ++w) expectSame(alone[size_t(w)], together[size_t(w)], w);
  EXPECT_EQ(assembly[0], assembly[1]);
  EXPECT_NE(assembly[0].find("sigma_step"), std::string::npos);
}

// One compiled step's assembly requested from several threads at once is
// made once and is the same for all of them.
TEST(Concurrency, AssemblyOfOneStepFromManyThreads) {
  TrainingStep step = compile(seedNetwork(), seedLoss(), seedOptimizer(), {.batch = 4});
  std::vector<std::string> text(kThreads);
  std::barrier start(kThreads);
  std::vector<std::thread> threads;
  for (int w = 0; w < kThreads; ++w)
    threads.emplace_back([&, w] {
      start.arrive_and_wait();
      text[size_t(w)] = step.dump(Stage::Assembly);
    });
  for (std::thread& t : threads) t.join();
  for (int w = 1; w < kThreads; ++w) EXPECT_EQ(text[0], text[size_t(w)]);
  EXPECT_NE(text[0].find("sigma_step"), std::string::npos);
}

// Steps with thread pools of their own (parallel loops on 2 threads each),
// run at the same time from several threads, match running alone; and a
// pool handing out thousands of jobs hands each chunk to one thread, with
// what the workers wrote visible to the caller when run() returns.
namespace {

Trace trainParallelMlp(int seed) {
  nn::Sequential net{nn::Linear(256, 128), nn::ReLU(), nn::Linear(128, 10)};
  CompileOptions o{.batch = 64, .seed = uint64_t(seed)};
  o.threads = 2;
  TrainingStep step = compile(net, loss::cross_entropy(), optim::sgd({.lr = 0.05f}), o);
  std::vector<float> x(64 * 256), y(64 * 10, 0.0f);
  for (size_t i = 0; i < x.size(); ++i) x[i] = float((i * 37) % 101) / 101.0f;
  for (int i = 0; i < 64; ++i) y[size_t(i * 10 + i % 10)] = 1.0f;
  Trace t;
  for (int s = 0; s < 20; ++s) t.losses.push_back(step.run(x, y).loss);
  for (const std::string& name : step.parameterNames()) {
    std::span<const float> p = std::as_const(step).parameter(name);
    t.params.insert(t.params.end(), p.begin(), p.end());
  }
  return t;
}

struct Job {
  std::vector<int64_t>* out;
  int64_t round;
};
void writeRound(void* ctx, int64_t begin, int64_t end) {
  auto* job = static_cast<Job*>(ctx);
  for (int64_t i = begin; i < end; ++i) (*job->out)[size_t(i)] += job->round;
}

}  // namespace

TEST(Concurrency, StepsWithThreadPoolsRunTogetherAsAlone) {
  const Trace a = trainParallelMlp(1), b = trainParallelMlp(2);
  Trace ta, tb;
  std::barrier start(2);
  std::thread first([&] { start.arrive_and_wait(); ta = trainParallelMlp(1); });
  std::thread second([&] { start.arrive_and_wait(); tb = trainParallelMlp(2); });
  first.join(), second.join();
  EXPECT_TRUE(sameBits(a.losses, ta.losses));
  EXPECT_TRUE(sameBits(a.params, ta.params));
  EXPECT_TRUE(sameBits(b.losses, tb.losses));
  EXPECT_TRUE(sameBits(b.params, tb.params));
  EXPECT_FALSE(sameBits(a.params, b.params));
}

TEST(Concurrency, AThreadPoolHandsOutEveryChunkOnce) {
  ThreadPool pool(3);
  std::vector<int64_t> sums(1000, 0);
  int64_t expected = 0;
  for (int64_t round = 1; round <= 500; ++round) {
    Job job{&sums, round};
    pool.run(writeRound, &job, int64_t(sums.size()) - round % 7);
    expected += round;
  }
  // Elements near the end were skipped in some rounds; element 0 never.
  EXPECT_EQ(sums[0], expected);
  int64_t skipped = 0;
  for (int64_t round = 1; round <= 500; ++round)
    if (999 >= 1000 - round % 7) skipped += round;
  EXPECT_EQ(sums[999], expected - skipped);
}

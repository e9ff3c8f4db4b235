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

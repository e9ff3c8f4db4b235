// Tiered compilation (runtime/Executable.h, CompileOptions::tiered): a step
// the object cache does not hold starts on O0 code and switches to O3 when
// the background compile is done. Every level computes the same bits, so a
// training run must not depend on when the switch happens.
#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <vector>

#include "codegen/JitModule.h"
#include "frontend/Compile.h"
#include "runtime/Rng.h"

using namespace sigma;

namespace {

constexpr int64_t kBatch = 32;

TrainingStep compileMlp(bool tiered) {
  nn::Sequential net{nn::Linear(256, 128), nn::ReLU(), nn::Linear(128, 64), nn::ReLU(), nn::Linear(64, 10)};
  CompileOptions options{.batch = kBatch, .seed = 3, .tiered = tiered};
  options.regularize = {{"*", reg::l1(1e-5f) + reg::l2(5e-4f)}};
  options.cache = {.enabled = false};  // a cache hit would skip the tiers
  return compile(net, loss::cross_entropy(), optim::momentum({.lr = 0.05f, .momentum = 0.9f}), options);
}

struct Batch {
  std::vector<float> x = std::vector<float>(kBatch * 256), y = std::vector<float>(kBatch * 10, 0.0f);
  Batch() {
    Rng rng(11);
    for (float& v : x) v = float(rng.uniform(1.0));
    for (int64_t i = 0; i < kBatch; ++i) y[i * 10 + int64_t(rng.below(10))] = 1.0f;
  }
};

void appendBits(std::vector<uint32_t>& bits, const StepResult& r) {
  bits.push_back(std::bit_cast<uint32_t>(r.loss));
  for (const WeightStats& w : r.weights)
    for (float v : {w.sum, w.abs_sum, w.sq_sum, w.max_abs, w.grad_sq_sum}) bits.push_back(std::bit_cast<uint32_t>(v));
}

TEST(TieredCompile, StartsOnO0AndSwitchesToO3WithTheSameBits) {
  Batch batch;
  TrainingStep tiered = compileMlp(true);
  // The O3 compile of this network takes far longer than compile() took to
  // return, so the step starts on the O0 stand-in.
  ASSERT_TRUE(tiered.executable().optimizing());
  EXPECT_EQ(tiered.executable().currentJit()->optLevel(), 0);
  std::vector<uint32_t> got;
  int stepsOnO0 = 0, steps = 0;
  for (; tiered.executable().optimizing() || steps < stepsOnO0 + 5; ++steps) {
    if (tiered.executable().optimizing()) ++stepsOnO0;
    appendBits(got, tiered.run(batch.x, batch.y));
  }
  EXPECT_GT(stepsOnO0, 0);
  EXPECT_EQ(tiered.executable().currentJit()->optLevel(), 3);
  EXPECT_EQ(tiered.executable().jit(), tiered.executable().currentJit());

  TrainingStep direct = compileMlp(false);
  EXPECT_FALSE(direct.executable().optimizing());
  EXPECT_EQ(direct.executable().currentJit()->optLevel(), 3);
  std::vector<uint32_t> want;
  for (int i = 0; i < steps; ++i) appendBits(want, direct.run(batch.x, batch.y));
  EXPECT_EQ(got, want) << stepsOnO0 << " of " << steps << " steps ran on O0";
  for (const std::string& name : direct.parameterNames()) {
    std::span<const float> a = std::as_const(tiered).parameter(name), b = std::as_const(direct).parameter(name);
    for (size_t i = 0; i < a.size(); ++i)
      ASSERT_EQ(std::bit_cast<uint32_t>(a[i]), std::bit_cast<uint32_t>(b[i])) << name << "[" << i << "]";
  }
}

TEST(TieredCompile, AStepDestroyedWhileOptimizingWaitsForTheCompile) {
  Batch batch;
  {
    TrainingStep step = compileMlp(true);
    ASSERT_TRUE(step.executable().optimizing());
    step.run(batch.x, batch.y);
  }  // joins the background compile: nothing may outlive the executable (ASan/TSan runs check it)
  TrainingStep step = compileMlp(true);
  const codegen::JitModule* optimized = step.executable().jit();  // waits
  ASSERT_NE(optimized, nullptr);
  EXPECT_EQ(optimized->optLevel(), 3);
  EXPECT_FALSE(step.executable().optimizing());
}

}  // namespace

// The pipeline cache (frontend/PipelineCache.h): a second compile of the same
// training step skips the graph and loop passes and gets the very module,
// graph text and bits the passes make; a damaged or unparsable entry, another
// pipeline (--no-fusion) and a compile that shows its stages run the passes.
#include <gtest/gtest.h>

#include <bit>
#include <filesystem>
#include <string>
#include <vector>

#include "TrainTestSupport.h"
#include "codegen/CompileCache.h"
#include "codegen/JitModule.h"
#include "frontend/SeedNetwork.h"
#include "ir/LoopPrinter.h"

using namespace sigma;
using traintest::TempDir;

namespace {

namespace fs = std::filesystem;

codegen::CacheOptions cacheIn(const std::string& dir) { return {.enabled = true, .directory = dir}; }

TrainingStep compileSeed(const codegen::CacheOptions& cache, bool noFusion = false, bool timePasses = false,
                         bool trainingLoop = true) {
  CompileOptions options{.batch = 4, .seed = 7, .cache = cache, .trainingLoop = trainingLoop};
  options.passes.noFusion = noFusion;
  options.passes.timePasses = timePasses;
  return compile(seedNetwork(), seedLoss(), seedOptimizer(), options);
}

const auto hasRow = traintest::hasTimingRow;

const auto trainBits = [](TrainingStep& step) { return traintest::xorTrainingBits(step); };

// 30 steps of the compiled training loop (shuffled XOR samples, a rate per
// step): each step's loss and statistics, then the parameters, as bits.
std::vector<uint32_t> loopBits(TrainingStep& step) {
  constexpr int64_t kSteps = 30;
  XorBatch batch;
  std::vector<int32_t> order;
  std::vector<float> rates;
  for (int64_t s = 0; s < kSteps; ++s) {
    for (int32_t r = 0; r < 4; ++r) order.push_back(int32_t((s + 3 * r) % 4));
    rates.push_back(0.1f / float(1 + s % 3));
  }
  step.runLoop({.features = batch.x, .targets = batch.y, .order = order, .rates = rates}, 0, kSteps);
  std::vector<uint32_t> bits;
  for (int64_t s = 0; s < kSteps; ++s) {
    StepResult r = step.loopResult(s);
    bits.push_back(std::bit_cast<uint32_t>(r.loss));
    for (const WeightStats& w : r.weights) bits.push_back(std::bit_cast<uint32_t>(w.abs_sum));
  }
  for (const std::string& name : step.parameterNames())
    for (float v : std::as_const(step).parameter(name)) bits.push_back(std::bit_cast<uint32_t>(v));
  return bits;
}

// The directory's pipeline entries (those whose payload is loop-IR text) by key.
std::vector<std::string> pipelineKeys(const std::string& dir) {
  std::vector<std::string> keys;
  const codegen::CompileCache cache(cacheIn(dir));
  for (const auto& file : fs::directory_iterator(dir)) {
    const std::string key = file.path().stem().string();
    codegen::CompileCache::Lookup found = cache.load(key);
    if (found.entry && found.entry->object.rfind("module @", 0) == 0) keys.push_back(key);
  }
  return keys;
}

TEST(PipelineCache, AHitSkipsThePassesWithTheSameModuleGraphAndBits) {
  TempDir dir;
  TrainingStep fresh = compileSeed({.enabled = false});
  TrainingStep stored = compileSeed(cacheIn(dir.path()));
  TrainingStep cached = compileSeed(cacheIn(dir.path()));
  EXPECT_FALSE(hasRow(fresh, "pipeline-cache"));
  EXPECT_TRUE(hasRow(stored, "pipeline-cache: store"));
  EXPECT_TRUE(hasRow(stored, "lower-to-loops"));
  EXPECT_TRUE(hasRow(cached, "pipeline-cache: hit"));
  EXPECT_FALSE(hasRow(cached, "lower-to-loops"));
  EXPECT_FALSE(hasRow(cached, "fuse-weight-sum-regularization"));
  EXPECT_FALSE(hasRow(cached, "add-training-loop"));
  EXPECT_EQ(pipelineKeys(dir.path()).size(), 1u);

  EXPECT_EQ(printModule(cached.loopModule()), printModule(fresh.loopModule()));
  EXPECT_EQ(cached.dump(Stage::Graph), fresh.dump(Stage::Graph));
  EXPECT_NE(cached.dump(Stage::Graph), "");
  const std::vector<uint32_t> expected = trainBits(fresh);
  EXPECT_EQ(trainBits(stored), expected);
  EXPECT_EQ(trainBits(cached), expected);
}

TEST(PipelineCache, TheCompiledTrainingLoopOfAHitGivesTheSameBits) {
  TempDir dir;
  TrainingStep fresh = compileSeed({.enabled = false});
  compileSeed(cacheIn(dir.path()));
  TrainingStep cached = compileSeed(cacheIn(dir.path()));
  ASSERT_TRUE(hasRow(cached, "pipeline-cache: hit"));
  ASSERT_TRUE(cached.hasTrainingLoop());
  const std::vector<uint32_t> expected = loopBits(fresh);
  EXPECT_EQ(loopBits(cached), expected);
  // A step without the loop is another entry, and has no loop.
  TrainingStep stepOnly = compileSeed(cacheIn(dir.path()), false, false, /*trainingLoop=*/false);
  EXPECT_TRUE(hasRow(stepOnly, "pipeline-cache: miss"));
  EXPECT_FALSE(stepOnly.hasTrainingLoop());
  EXPECT_EQ(pipelineKeys(dir.path()).size(), 2u);
  EXPECT_FALSE(compileSeed(cacheIn(dir.path()), false, false, false).hasTrainingLoop());
}

TEST(PipelineCache, AnEntryThatDoesNotParseIsRebuilt) {
  TempDir dir;
  TrainingStep fresh = compileSeed({.enabled = false});
  compileSeed(cacheIn(dir.path()));
  const std::vector<std::string> keys = pipelineKeys(dir.path());
  ASSERT_EQ(keys.size(), 1u);
  // A whole, checksummed entry under the right key whose text is not a module.
  const codegen::CompileCache cache(cacheIn(dir.path()));
  ASSERT_TRUE(cache.store(keys[0], {"module @broken {\n  kernel", "graph"}));
  TrainingStep rebuilt = compileSeed(cacheIn(dir.path()));
  EXPECT_TRUE(hasRow(rebuilt, "pipeline-cache: damaged (its loop IR: <pipeline cache>:"));
  EXPECT_TRUE(hasRow(rebuilt, "pipeline-cache: store"));
  EXPECT_EQ(trainBits(rebuilt), trainBits(fresh));
  // It was rewritten: the next compile hits it.
  const codegen::CompileCache::Lookup rewritten = cache.load(keys[0]);
  ASSERT_TRUE(rewritten.entry.has_value());
  EXPECT_EQ(rewritten.entry->object, printModule(fresh.loopModule()));
  EXPECT_TRUE(hasRow(compileSeed(cacheIn(dir.path())), "pipeline-cache: hit"));
}

TEST(PipelineCache, AnotherPipelineOrShownStagesRunThePasses) {
  TempDir dir;
  compileSeed(cacheIn(dir.path()));
  // --no-fusion is another pipeline: another entry, not the fused one's module.
  TrainingStep unfused = compileSeed(cacheIn(dir.path()), /*noFusion=*/true);
  EXPECT_FALSE(hasRow(unfused, "pipeline-cache: hit"));
  EXPECT_EQ(pipelineKeys(dir.path()).size(), 2u);
  EXPECT_TRUE(hasRow(compileSeed(cacheIn(dir.path()), true), "pipeline-cache: hit"));
  EXPECT_NE(printModule(unfused.loopModule()), printModule(compileSeed(cacheIn(dir.path())).loopModule()));
  // --time-passes times the passes themselves: the entries are neither read
  // nor written (a removed one stays removed).
  for (const std::string& key : pipelineKeys(dir.path())) fs::remove(dir.file(key + ".sgobj"));
  TrainingStep timed = compileSeed(cacheIn(dir.path()), false, /*timePasses=*/true);
  EXPECT_FALSE(hasRow(timed, "pipeline-cache"));
  EXPECT_TRUE(hasRow(timed, "fuse-weight-sum-regularization"));
  EXPECT_EQ(pipelineKeys(dir.path()).size(), 0u);
}

}  // namespace

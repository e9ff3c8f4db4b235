// The on-disk object cache (codegen/CompileCache.h): a compile stores its
// object, the next identical compile links it without running LLVM's
// optimizer or backend, and the cached code computes exactly what fresh code
// does. Damaged entries, racing writers and unusable directories must never
// make a compile fail. Every test uses a directory of its own.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <barrier>
#include <bit>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

#include "TrainTestSupport.h"
#include "codegen/CompileCache.h"
#include "codegen/JitModule.h"
#include "frontend/SeedNetwork.h"
#include "ir/LoopParser.h"
#include "runtime/Executable.h"
#include "runtime/Interpreter.h"

using namespace sigma;
using codegen::CacheStatus;
using traintest::TempDir;

namespace {

namespace fs = std::filesystem;

codegen::CacheOptions cacheIn(const std::string& dir) { return {.enabled = true, .directory = dir}; }

// y = x * FACTOR + 1 over 64 floats; the factor makes modules differ.
loop::Module scaleModule(const std::string& factor = "3.0") {
  std::string text = R"(module @scale {
  buffer %x : f32[64] input
  buffer %y : f32[64] output
  kernel @scale_0 {
    for %i in 0..64 {
      %y[%i] = %x[%i] * FACTOR + 1.0
    }
  }
}
)";
  text.replace(text.find("FACTOR"), 6, factor);
  return parseModule(text, "<scale>");
}

std::unique_ptr<Executable> compileScale(const codegen::CacheOptions& cache, int optLevel = 3,
                                         const std::string& factor = "3.0") {
  return std::make_unique<Executable>(scaleModule(factor),
                                      ExecutableOptions{.optLevel = optLevel, .cache = cache});
}

const codegen::CacheReport& report(const Executable& e) { return e.jit()->cache(); }

// Runs the module on a fixed input; y as bits.
std::vector<uint32_t> runScale(Executable& e) {
  std::span<float> x = e.f32("x");
  for (size_t i = 0; i < x.size(); ++i) x[i] = float(i) * 0.37f - 9.5f;
  e.run();
  std::vector<uint32_t> bits;
  for (float v : e.f32("y")) bits.push_back(std::bit_cast<uint32_t>(v));
  return bits;
}

std::vector<uint32_t> interpretedScale() {
  Executable reference(scaleModule(), ExecutableOptions{.backend = Backend::Interpreter});
  return runScale(reference);
}

std::vector<std::string> filesIn(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

TEST(CompileCache, ColdCompileStoresAnEntryThatTheNextCompileLinks) {
  TempDir dir;
  auto cold = compileScale(cacheIn(dir.path()));
  EXPECT_EQ(report(*cold).status, CacheStatus::Miss);
  EXPECT_TRUE(report(*cold).stored);
  EXPECT_EQ(report(*cold).path, dir.path() + "/" + report(*cold).key + ".sgobj");
  EXPECT_EQ(filesIn(dir.path()), std::vector<std::string>{report(*cold).key + ".sgobj"});

  auto warm = compileScale(cacheIn(dir.path()));
  EXPECT_EQ(report(*warm).status, CacheStatus::Hit);
  EXPECT_FALSE(report(*warm).stored);
  EXPECT_EQ(report(*warm).key, report(*cold).key);
  // A hit generates no LLVM IR and runs neither the optimizer nor the backend.
  const codegen::CodegenTimings& t = warm->jit()->timings();
  EXPECT_EQ(t.emitIR, 0.0);
  EXPECT_EQ(t.optimize, 0.0);
  EXPECT_EQ(t.machineCode, 0.0);
  // The text stages are the cold compile's, from the entry or made again.
  EXPECT_EQ(warm->jit()->llvmIR(), cold->jit()->llvmIR());
  EXPECT_EQ(warm->jit()->unoptimizedLLVMIR(), cold->jit()->unoptimizedLLVMIR());
  EXPECT_EQ(warm->jit()->assembly(), cold->jit()->assembly());
  EXPECT_NE(warm->jit()->assembly().find("scale_0:"), std::string::npos);

  const std::vector<uint32_t> expected = interpretedScale();
  EXPECT_EQ(runScale(*cold), expected);
  EXPECT_EQ(runScale(*warm), expected);
}

const auto trainBits = [](TrainingStep& step) { return traintest::xorTrainingBits(step); };

TEST(CompileCache, TrainingStepsAreBitIdenticalFreshAndCached) {
  TempDir dir;
  auto compileSeed = [&](codegen::CacheOptions cache) {
    return compile(seedNetwork(), seedLoss(), seedOptimizer(), {.batch = 4, .seed = 7, .cache = cache});
  };
  TrainingStep fresh = compileSeed({.enabled = false});
  TrainingStep stored = compileSeed(cacheIn(dir.path()));
  EXPECT_EQ(fresh.executable().jit()->cache().status, CacheStatus::Disabled);
  // jit() waits for the tiered compile's optimized code, which stores the entry.
  EXPECT_EQ(stored.executable().jit()->cache().status, CacheStatus::Miss);
  TrainingStep cached = compileSeed(cacheIn(dir.path()));
  EXPECT_FALSE(cached.executable().optimizing());  // a hit links the optimized code at once
  ASSERT_EQ(cached.executable().jit()->cache().status, CacheStatus::Hit);
  const std::vector<uint32_t> expected = trainBits(fresh);
  EXPECT_EQ(trainBits(stored), expected);
  EXPECT_EQ(trainBits(cached), expected);
}

TEST(CompileCache, KeysDifferForAnotherModuleOrLevelOnly) {
  TempDir dir, other;
  auto base = compileScale(cacheIn(dir.path()));
  auto otherModule = compileScale(cacheIn(dir.path()), 3, "5.0");
  auto otherLevel = compileScale(cacheIn(dir.path()), 2);
  auto elsewhere = compileScale(cacheIn(other.path()));
  EXPECT_NE(report(*otherModule).key, report(*base).key);
  EXPECT_NE(report(*otherLevel).key, report(*base).key);
  EXPECT_NE(report(*otherLevel).key, report(*otherModule).key);
  EXPECT_EQ(report(*elsewhere).key, report(*base).key);  // the directory is not part of the key
  EXPECT_EQ(report(*otherModule).status, CacheStatus::Miss);
  EXPECT_EQ(report(*otherLevel).status, CacheStatus::Miss);
  EXPECT_EQ(filesIn(dir.path()).size(), 3u);
  // Parts are length-prefixed: moving a boundary changes the key.
  EXPECT_NE(codegen::cacheKey({"ab", "c"}), codegen::cacheKey({"a", "bc"}));
  EXPECT_EQ(codegen::cacheKey({"a", "bc"}), codegen::cacheKey({"a", "bc"}));
}

// Damages the file at `path` in one way.
using Damage = void (*)(const std::string& path);
void truncateToHalf(const std::string& path) { fs::resize_file(path, fs::file_size(path) / 2); }
void truncateIntoTheHeader(const std::string& path) { fs::resize_file(path, 10); }
void makeEmpty(const std::string& path) { fs::resize_file(path, 0); }
void appendAByte(const std::string& path) { std::ofstream(path, std::ios::app | std::ios::binary) << 'x'; }
void flipByteAt(const std::string& path, std::streamoff offset) {
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  file.seekg(offset);
  char c = 0;
  file.get(c);
  file.seekp(offset);
  file.put(char(c ^ 0x5a));
}
void flipTheMagic(const std::string& path) { flipByteAt(path, 0); }
void flipAnObjectByte(const std::string& path) { flipByteAt(path, 200); }
void flipTheLastByte(const std::string& path) { flipByteAt(path, std::streamoff(fs::file_size(path)) - 1); }

TEST(CompileCache, DamagedEntriesAreRejectedAndRebuilt) {
  const std::vector<uint32_t> expected = interpretedScale();
  const std::pair<const char*, Damage> damages[] = {
      {"truncated to half", truncateToHalf}, {"truncated into the header", truncateIntoTheHeader},
      {"empty", makeEmpty},                  {"a byte appended", appendAByte},
      {"magic flipped", flipTheMagic},       {"object byte flipped", flipAnObjectByte},
      {"IR byte flipped", flipTheLastByte}};
  for (const auto& [what, damage] : damages) {
    SCOPED_TRACE(what);
    TempDir dir;
    const std::string path = report(*compileScale(cacheIn(dir.path()))).path;
    damage(path);
    auto rebuilt = compileScale(cacheIn(dir.path()));
    EXPECT_EQ(report(*rebuilt).status, CacheStatus::Damaged);
    EXPECT_NE(report(*rebuilt).problem, "");
    EXPECT_TRUE(report(*rebuilt).stored);
    EXPECT_EQ(runScale(*rebuilt), expected);
    auto again = compileScale(cacheIn(dir.path()));
    EXPECT_EQ(report(*again).status, CacheStatus::Hit);
    EXPECT_EQ(runScale(*again), expected);
  }
}

TEST(CompileCache, AnEntryUnderTheWrongKeyIsRejected) {
  TempDir dir;
  const std::string other = report(*compileScale(cacheIn(dir.path()), 3, "5.0")).path;
  auto first = compileScale(cacheIn(dir.path()));
  fs::copy_file(other, report(*first).path, fs::copy_options::overwrite_existing);
  auto second = compileScale(cacheIn(dir.path()));
  EXPECT_EQ(report(*second).status, CacheStatus::Damaged);
  EXPECT_NE(report(*second).problem.find("another key"), std::string::npos) << report(*second).problem;
  EXPECT_EQ(runScale(*second), interpretedScale());
}

TEST(CompileCache, ConcurrentCompilesOfOneModuleIntoOneDirectoryAllSucceed) {
  constexpr int kThreads = 4;
  TempDir dir;
  std::barrier start(kThreads);
  std::vector<std::vector<uint32_t>> results(kThreads);
  std::vector<std::string> errors(kThreads), keys(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      try {
        start.arrive_and_wait();
        auto e = compileScale(cacheIn(dir.path()));
        keys[t] = report(*e).key;
        results[t] = runScale(*e);
      } catch (const std::exception& error) {
        errors[t] = error.what();
      }
    });
  for (std::thread& t : threads) t.join();
  const std::vector<uint32_t> expected = interpretedScale();
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(errors[t], "") << "thread " << t;
    EXPECT_EQ(results[t], expected) << "thread " << t;
    EXPECT_EQ(keys[t], keys[0]);
  }
  // One whole entry, no temporary file left behind, and it loads.
  EXPECT_EQ(filesIn(dir.path()), std::vector<std::string>{keys[0] + ".sgobj"});
  EXPECT_EQ(report(*compileScale(cacheIn(dir.path()))).status, CacheStatus::Hit);
}

TEST(CompileCache, AnUnusableDirectoryMeansNoCachingAndNoError) {
  TempDir dir;
  traintest::writeFile(dir.file("file"), "not a directory");
  const std::string unusable = dir.file("file") + "/cache";  // cannot be created, even by root
  const std::vector<uint32_t> expected = interpretedScale();
  for (int i = 0; i < 2; ++i) {
    auto e = compileScale(cacheIn(unusable));
    EXPECT_EQ(report(*e).status, CacheStatus::Miss);
    EXPECT_FALSE(report(*e).stored);
    EXPECT_EQ(runScale(*e), expected);
  }
}

TEST(CompileCache, ADisabledCacheNeitherReadsNorWrites) {
  TempDir dir;
  compileScale(cacheIn(dir.path()));
  auto e = compileScale({.enabled = false, .directory = dir.path()});
  EXPECT_EQ(report(*e).status, CacheStatus::Disabled);
  EXPECT_EQ(report(*e).key, "");
  EXPECT_EQ(filesIn(dir.path()).size(), 1u);
  EXPECT_EQ(runScale(*e), interpretedScale());
}

// Sets (or, with nullopt, unsets) an environment variable for a scope.
class EnvOverride {
 public:
  EnvOverride(const char* name, std::optional<std::string> value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) setenv(name, value->c_str(), 1);
    else unsetenv(name);
  }
  ~EnvOverride() {
    if (old_) setenv(name_, old_->c_str(), 1);
    else unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(CompileCache, TheDefaultDirectoryFollowsTheEnvironment) {
  {
    EnvOverride sigma("SIGMA_CACHE_DIR", "/a/b"), xdg("XDG_CACHE_HOME", "/x"), home("HOME", "/h");
    EXPECT_EQ(codegen::defaultCacheDirectory(), "/a/b");
  }
  {
    EnvOverride sigma("SIGMA_CACHE_DIR", std::nullopt), xdg("XDG_CACHE_HOME", "/x"), home("HOME", "/h");
    EXPECT_EQ(codegen::defaultCacheDirectory(), "/x/sigma");
  }
  {
    EnvOverride sigma("SIGMA_CACHE_DIR", std::nullopt), xdg("XDG_CACHE_HOME", std::nullopt), home("HOME", "/h");
    EXPECT_EQ(codegen::defaultCacheDirectory(), "/h/.cache/sigma");
    EXPECT_EQ(codegen::CompileCache({}).directory(), "/h/.cache/sigma");
  }
  {
    EnvOverride sigma("SIGMA_CACHE_DIR", std::nullopt), xdg("XDG_CACHE_HOME", std::nullopt), home("HOME", std::nullopt);
    EXPECT_FALSE(codegen::CompileCache({}).enabled());
  }
}

const auto hasRow = traintest::hasTimingRow;

TEST(CompileCache, DumpsAndTimingsOfACachedStep) {
  TempDir cache, coldDumps, warmDumps;
  auto compileInto = [&](const std::string& dumps) {
    CompileOptions options{.batch = 4, .cache = cacheIn(cache.path())};
    options.passes.dumpDir = dumps;
    return compile(seedNetwork(), seedLoss(), seedOptimizer(), options);
  };
  TrainingStep cold = compileInto(coldDumps.path());
  TrainingStep warm = compileInto(warmDumps.path());
  ASSERT_EQ(warm.executable().jit()->cache().status, CacheStatus::Hit);
  // The same files, and the same LLVM IR and assembly, from the cache.
  ASSERT_EQ(filesIn(warmDumps.path()), filesIn(coldDumps.path()));
  int textStages = 0;
  for (const std::string& name : filesIn(coldDumps.path())) {
    if (!name.ends_with(".ll") && !name.ends_with(".s")) continue;
    ++textStages;
    EXPECT_EQ(traintest::readFile(warmDumps.file(name)), traintest::readFile(coldDumps.file(name))) << name;
    EXPECT_NE(traintest::readFile(warmDumps.file(name)), "") << name;
  }
  EXPECT_EQ(textStages, 2);
  // --time-passes rows: the cold compile ran LLVM, the warm one only linked.
  EXPECT_TRUE(hasRow(cold, "cache-lookup: miss"));
  EXPECT_TRUE(hasRow(cold, "llvm-O3"));
  EXPECT_TRUE(hasRow(cold, "machine-code"));
  EXPECT_TRUE(hasRow(cold, "cache-store"));
  EXPECT_TRUE(hasRow(warm, "cache-lookup: hit"));
  EXPECT_FALSE(hasRow(warm, "llvm-O3"));
  EXPECT_FALSE(hasRow(warm, "machine-code"));
  EXPECT_TRUE(hasRow(warm, "jit-link"));
  EXPECT_NE(warm.timingReport().find("cache-lookup: hit"), std::string::npos);
}

using traintest::CliRun;
using traintest::runSigma;

// The weight-sum rows of `sigma train`'s output ("  fc1.weight  ...").
std::string weightRows(const std::string& output) {
  std::istringstream in(output);
  std::string rows;
  for (std::string line; std::getline(in, line);)
    if (line.rfind("  fc", 0) == 0) rows += line + "\n";
  return rows;
}

TEST(CompileCache, CommandLineFlags) {
  TempDir a, b;
  CliRun cold = runSigma("inspect --emit llvm --time-passes --cache-dir " + a.path());
  ASSERT_EQ(cold.status, 0) << cold.output;
  EXPECT_NE(cold.output.find("cache-lookup: miss"), std::string::npos) << cold.output;
  EXPECT_EQ(filesIn(a.path()).size(), 1u);
  CliRun warm = runSigma("inspect --emit llvm --time-passes --cache-dir " + a.path());
  ASSERT_EQ(warm.status, 0) << warm.output;
  EXPECT_NE(warm.output.find("cache-lookup: hit"), std::string::npos) << warm.output;
  // Another level is another entry; -O1 and --opt-level 1 are the same.
  // (The third file is the pipeline cache's entry, frontend/PipelineCache.h,
  // which --time-passes neither reads nor writes.)
  ASSERT_EQ(runSigma("inspect --emit loop -O1 --cache-dir " + a.path()).status, 0);
  EXPECT_EQ(filesIn(a.path()).size(), 3u);
  ASSERT_EQ(runSigma("inspect --emit loop --opt-level 1 --cache-dir " + a.path()).status, 0);
  EXPECT_EQ(filesIn(a.path()).size(), 3u);
  // --no-cache leaves even the default directory alone.
  CliRun uncached = runSigma("inspect --emit loop --no-cache --time-passes");
  EXPECT_EQ(uncached.status, 0) << uncached.output;
  EXPECT_EQ(uncached.output.find("cache-lookup"), std::string::npos) << uncached.output;
  // Another process links what the first one stored, and trains to the same
  // weight sums (the rows of the printed table hold no timings).
  const std::string train = "train --epochs 2 --progress off --time-passes --cache-dir " + b.path();
  CliRun first = runSigma(train), second = runSigma(train);
  ASSERT_EQ(first.status, 0) << first.output;
  ASSERT_EQ(second.status, 0) << second.output;
  EXPECT_EQ(filesIn(b.path()).size(), 2u);  // the step and the evaluator's forward pass
  EXPECT_NE(second.output.find("cache-lookup: hit"), std::string::npos) << second.output;
  EXPECT_EQ(weightRows(second.output), weightRows(first.output));
  EXPECT_NE(weightRows(first.output), "");
  CliRun bad = runSigma("inspect --opt-level 4");
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.output.find("--opt-level must be 0, 1, 2 or 3, got 4"), std::string::npos) << bad.output;
}

}  // namespace

// The perf map (codegen/PerfMap.h): a compile with CodegenOptions::perfMap
// appends one "<start> <size> sigma:<module>:<function>" line per function
// it links to /tmp/perf-<pid>.map, where `perf report` looks for the names
// of JIT code. The addresses must be the ones the code runs at: the entry
// point lies in its own line's range.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "TrainTestSupport.h"
#include "codegen/JitModule.h"
#include "ir/LoopParser.h"

using namespace sigma;

namespace {

struct Range {
  uint64_t start = 0, size = 0;
};

std::string mapPath() { return "/tmp/perf-" + std::to_string(::getpid()) + ".map"; }

// name -> range, for the lines of one module; fails the test on a line
// that does not have perf's three fields.
std::map<std::string, Range> readMap(const std::string& module) {
  std::map<std::string, Range> ranges;
  std::ifstream in(mapPath());
  std::string line;
  const std::string prefix = "sigma:" + module + ":";
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    Range r;
    std::string name, rest;
    fields >> std::hex >> r.start >> r.size >> name;
    EXPECT_FALSE(fields.fail()) << "malformed perf map line: " << line;
    EXPECT_FALSE(fields >> rest) << "extra field in: " << line;
    if (name.rfind(prefix, 0) == 0) ranges[name.substr(prefix.size())] = r;
  }
  return ranges;
}

loop::Module twoKernels(const std::string& name) {
  return parseModule("module @" + name + R"( {
  buffer %x : f32[256] input
  buffer %y : f32[256] output
  buffer %s : f32[1] output
  kernel @scale_x {
    for %i in 0..256 {
      %y[%i] = %x[%i] * 3.0 + 1.0
    }
  }
  kernel @sum_y {
    %s[0] = 0.0
    for %i in 0..256 {
      %s[0] = %s[0] + %y[%i]
    }
  }
}
)",
                     "<two kernels>");
}

class PerfMap : public ::testing::Test {
 protected:
  void SetUp() override { std::remove(mapPath().c_str()); }
  void TearDown() override { std::remove(mapPath().c_str()); }
};

TEST_F(PerfMap, ListsTheEntryAndEveryKernelAtTheAddressesTheCodeRunsAt) {
  auto jit = codegen::JitModule::compile(twoKernels("mapped"), {.cache = {.enabled = false}, .perfMap = true});
  std::map<std::string, Range> ranges = readMap("mapped");
  ASSERT_TRUE(ranges.count("sigma_step")) << "no line for the entry point in " << mapPath();
  EXPECT_TRUE(ranges.count("scale_x"));
  EXPECT_TRUE(ranges.count("sum_y"));
  auto entry = reinterpret_cast<uint64_t>(jit->entry());
  EXPECT_EQ(ranges["sigma_step"].start, entry);
  for (const auto& [name, r] : ranges) {
    EXPECT_GT(r.size, 0u) << name;
    EXPECT_LT(r.size, 1u << 20) << name;
  }
  // Functions do not overlap.
  uint64_t end = 0;
  std::map<uint64_t, Range> byStart;
  for (const auto& [name, r] : ranges) byStart[r.start] = r;
  for (const auto& [start, r] : byStart) {
    EXPECT_GE(start, end);
    end = start + r.size;
  }
}

TEST_F(PerfMap, AnObjectFromTheCacheIsListedToo) {
  traintest::TempDir dir;
  codegen::CacheOptions cache{.enabled = true, .directory = dir.path()};
  auto cold = codegen::JitModule::compile(twoKernels("cached"), {.cache = cache});
  EXPECT_TRUE(readMap("cached").empty()) << "written although not asked for";
  auto hit = codegen::JitModule::compile(twoKernels("cached"), {.cache = cache, .perfMap = true});
  ASSERT_EQ(hit->cache().status, codegen::CacheStatus::Hit);
  std::map<std::string, Range> ranges = readMap("cached");
  ASSERT_TRUE(ranges.count("sigma_step"));
  EXPECT_EQ(ranges["sigma_step"].start, reinterpret_cast<uint64_t>(hit->entry()));
}

// A link planted at the map's name (/tmp is everyone's) is not followed:
// the compile still works, the link's target is untouched, and stderr says
// why there is no map.
TEST_F(PerfMap, APlantedLinkIsNotFollowedAndTheFailureIsReported) {
  traintest::TempDir dir;
  const std::string target = dir.file("victim");
  { std::ofstream(target) << "keep\n"; }
  ASSERT_EQ(::symlink(target.c_str(), mapPath().c_str()), 0);
  ::testing::internal::CaptureStderr();
  auto jit = codegen::JitModule::compile(twoKernels("linked"), {.cache = {.enabled = false}, .perfMap = true});
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(jit->entry(), nullptr);
  EXPECT_EQ(traintest::readFile(target), "keep\n");
  EXPECT_NE(err.find("cannot write the perf map " + mapPath()), std::string::npos) << err;
}

TEST_F(PerfMap, TheEnvironmentTurnsItOn) {
  ::setenv("SIGMA_PERF_MAP", "1", 1);
  auto jit = codegen::JitModule::compile(twoKernels("from_env"), {.cache = {.enabled = false}});
  ::unsetenv("SIGMA_PERF_MAP");
  EXPECT_TRUE(readMap("from_env").count("sigma_step"));
}

}  // namespace

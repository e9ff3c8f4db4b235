// The executable's arena (runtime/Executable.cpp): zero pages of exactly the
// planned size; one of a huge page or more starts on a huge-page boundary and
// is advised into transparent huge pages, on the JIT and the interpreter.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "HugePagesSupport.h"
#include "runtime/Executable.h"

using namespace sigma;
using namespace sigma::loop;
using namespace sigma::hugepagetest;

namespace {

constexpr uintptr_t kHugePage = uintptr_t(2) << 20;

// A step over a parameter of n floats: out[0] = a[0] + a[n-1], a[n-1] = 7.
Module touchBothEnds(int64_t n) {
  Module m;
  m.name = "arena";
  m.buffers = {Buffer{.name = "a", .size = n, .kind = BufferKind::Parameter},
               Buffer{.name = "out", .size = 1, .kind = BufferKind::Output}};
  Expr first = Load::make("a", ScalarType::F32, i64(0)), last = Load::make("a", ScalarType::F32, i64(n - 1));
  m.kernels.push_back(Kernel{"ends", {}, Block::make({Store::make("out", i64(0), first + last),
                                                      Store::make("a", i64(n - 1), f32(7.0f))})});
  return m;
}

TEST(ExecutableArena, AHugePageOrMoreStartsOnAHugePageBoundaryAndIsAdvised) {
  const int64_t n = 3 * int64_t(kHugePage) / 4 + 5;  // 3 huge pages and 20 bytes
  for (Backend backend : {Backend::JIT, Backend::Interpreter}) {
    Executable exec(touchBothEnds(n), ExecutableOptions{.backend = backend, .cache = {.enabled = false}});
    std::span<float> a = exec.f32("a");
    ASSERT_EQ(a.size(), size_t(n));
    EXPECT_EQ(reinterpret_cast<uintptr_t>(a.data()) % kHugePage, 0u) << "the arena starts off a huge-page boundary";
    EXPECT_EQ(a[0], 0.0f);  // anonymous pages: zero at both ends
    EXPECT_EQ(a[size_t(n) - 1], 0.0f);
    a[0] = 1.5f;
    exec.run();
    EXPECT_EQ(exec.f32("out")[0], 1.5f);
    EXPECT_EQ(a[size_t(n) - 1], 7.0f);
    // The advice is recorded on the mapping ("hg") even where no huge page
    // was free to back it.
    if (kernelHasTransparentHugePages()) {
      std::string flags = vmFlagsAt(a.data());
      EXPECT_NE(flags.find(" hg"), std::string::npos) << "not advised into huge pages: " << flags;
    }
  }
}

TEST(ExecutableArena, ASmallArenaIsAPlainMapping) {
  Executable exec(touchBothEnds(100), ExecutableOptions{.cache = {.enabled = false}});
  exec.f32("a")[0] = 2.0f;
  exec.run();
  EXPECT_EQ(exec.f32("out")[0], 2.0f);
  EXPECT_EQ(vmFlagsAt(exec.f32("a").data()).find(" hg"), std::string::npos);
}

// Where this host has transparent huge pages, the first test checks the
// advice; a kernel without them is reported, not passed over in silence.
TEST(ExecutableArena, HostHasTransparentHugePages) {
  if (!kernelHasTransparentHugePages())
    GTEST_SKIP() << "this kernel has no transparent huge pages (or they are set to never): the arena's advice "
                    "is untested here";
  SUCCEED();
}

}  // namespace

// runtime/HugePages.h: the whole 2 MiB pages inside a range are advised
// into transparent huge pages, nothing outside them; Fashion-MNIST's
// features, which every batch gather reads a random row at a time, are.
// Where the kernel has no transparent huge pages, both are skipped, saying so.
#include <gtest/gtest.h>

#include <sys/mman.h>

#include <cstdint>
#include <filesystem>
#include <string>

#include "HugePagesSupport.h"
#include "runtime/HugePages.h"
#include "runtime/IdxReader.h"

using namespace sigma;
using namespace sigma::hugepagetest;

TEST(HugePages, OnlyTheWholeHugePagesOfARangeAreAdvised) {
  if (!kernelHasTransparentHugePages()) GTEST_SKIP() << "this kernel has no transparent huge pages (or they are set to never)";
  const size_t huge = kHugePageBytes, bytes = 6 * huge;
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(p, MAP_FAILED);
  const uintptr_t base = reinterpret_cast<uintptr_t>(p);
  const uintptr_t aligned = (base + huge - 1) & ~uintptr_t(huge - 1);  // at least 5 whole pages follow
  auto at = [&](uintptr_t a) { return reinterpret_cast<const void*>(a); };
  // From 1 KiB into the first whole page to 1 KiB past the fourth: pages 2 and 3 only.
  adviseHugePages(reinterpret_cast<void*>(aligned + 1024), 3 * huge);
  EXPECT_EQ(vmFlagsAt(at(aligned + 16)).find(" hg"), std::string::npos) << "a partial page was advised";
  EXPECT_NE(vmFlagsAt(at(aligned + huge + 16)).find(" hg"), std::string::npos);
  EXPECT_NE(vmFlagsAt(at(aligned + 2 * huge + 16)).find(" hg"), std::string::npos);
  EXPECT_EQ(vmFlagsAt(at(aligned + 3 * huge + 16)).find(" hg"), std::string::npos) << "a partial page was advised";
  // A range with no whole page: nothing.
  adviseHugePages(reinterpret_cast<void*>(aligned + 4 * huge + 8), huge - 16);
  EXPECT_EQ(vmFlagsAt(at(aligned + 4 * huge + 64)).find(" hg"), std::string::npos);
  munmap(p, bytes);
}

TEST(HugePages, FashionMnistsFeaturesAreAdvised) {
  if (!kernelHasTransparentHugePages()) GTEST_SKIP() << "this kernel has no transparent huge pages (or they are set to never)";
  const std::string dir = "/usr/share/datasets/fashion-mnist";
  ASSERT_TRUE(std::filesystem::is_directory(dir))
      << dir << " is missing: install Fashion-MNIST there (make test's dependency script does)";
  auto [train, test] = loadFashionMnist(dir);
  const float* middle = train.features.data() + train.features.size() / 2;
  EXPECT_NE(vmFlagsAt(middle).find(" hg"), std::string::npos) << vmFlagsAt(middle);
}

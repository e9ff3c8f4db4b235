// sigma-tests never writes to the user's object cache (~/.cache/sigma):
// ctest points SIGMA_CACHE_DIR at the build tree's test cache
// (tests/CMakeLists.txt); run by hand without it, the binary gets a fresh
// temporary cache of its own, removed when it exits. The tests that are
// about the cache (CompileCacheTest.cpp) use directories of their own.
#include <gtest/gtest.h>

#include <stdlib.h>

#include <filesystem>
#include <string>

namespace {

class TemporaryCacheDir : public ::testing::Environment {
 public:
  TemporaryCacheDir() {
    // Set before main (a static initializer), so before any thread starts:
    // setenv is not safe to race with getenv.
    if (std::getenv("SIGMA_CACHE_DIR")) return;
    std::string pattern = (std::filesystem::temp_directory_path() / "sigma-tests-cache-XXXXXX").string();
    if (mkdtemp(pattern.data())) dir_ = pattern;
    // Failing that, a directory that cannot exist: caching off, not ~/.cache.
    setenv("SIGMA_CACHE_DIR", dir_.empty() ? "/dev/null/sigma-cache" : dir_.c_str(), 1);
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }

 private:
  std::string dir_;
};

// gtest owns and deletes registered environments.
const ::testing::Environment* const kCacheDir = ::testing::AddGlobalTestEnvironment(new TemporaryCacheDir);

}  // namespace

// --dump-dir: one numbered file per stage and pass, and an index saying
// what changed at each.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "frontend/SeedNetwork.h"

using namespace sigma;

TEST(DumpDir, EveryStageAndPassHasAFileListedInTheIndex) {
  std::string dir = (std::filesystem::temp_directory_path() / "sigma-dump-dir-test").string();
  std::filesystem::remove_all(dir);
  CompileOptions o{.batch = 4};
  o.passes.dumpDir = dir;
  TrainingStep step = compile(seedNetwork(), seedLoss(), seedOptimizer(), o);

  std::ifstream in(dir + "/index.txt");
  ASSERT_TRUE(in) << "no index.txt in " << dir;
  std::stringstream index;
  index << in.rdbuf();
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::string name = entry.path().filename().string();
    if (name == "index.txt") continue;
    ++files;
    EXPECT_NE(index.str().find(name), std::string::npos) << name << " is not in the index";
  }
  // forward, autodiff, every pass of the default pipeline, the training
  // loop, LLVM IR, assembly.
  EXPECT_EQ(files, 2 + int(defaultPipeline().size()) + 1 + 2);
  EXPECT_NE(index.str().find("add-training-loop"), std::string::npos);
  EXPECT_NE(index.str().find("fuse-weight-sum-regularization: %fc1.weight"), std::string::npos);
  std::filesystem::remove_all(dir);
}

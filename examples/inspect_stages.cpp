// Inspecting every stage: what the seed network's training step becomes,
// from the graph to the assembly, and what each pass did to it.
//   build/bin/example-inspect_stages [--quick] [DIR]
// writes every stage and pass, numbered, with an index, to DIR
// (default: sigma-stages in the temporary directory).
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include "frontend/SeedNetwork.h"

using namespace sigma;

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const std::string dir = argc > 1 + quick ? argv[1 + quick]
                                           : (std::filesystem::temp_directory_path() / "sigma-stages").string();
  CompileOptions options{.batch = 4};
  options.passes.dumpDir = dir;     // like `sigma inspect --dump-dir DIR`
  options.passes.timePasses = true;
  TrainingStep step = compile(seedNetwork(), seedLoss(), seedOptimizer(), options);

  // Each stage is also available as text from the C++ API.
  for (Stage s : {Stage::ForwardGraph, Stage::Graph, Stage::LoopIR, Stage::LLVMIR, Stage::Assembly}) {
    std::string text = step.dump(s);
    size_t lines = 0;
    for (char c : text) lines += c == '\n';
    std::printf("%-8s %6zu lines\n", stageName(s), lines);
  }
  if (!quick) std::puts(step.dump(Stage::LoopIR).c_str());
  std::fputs(step.timingReport().c_str(), stdout);
  std::printf("every stage and pass is in %s/ (see index.txt)\n", dir.c_str());
  // The signature kernel must be there: one fused update per weight.
  return step.dump(Stage::LoopIR).find("kernel @weight_update_fc1.weight") != std::string::npos &&
                 std::filesystem::exists(dir + "/index.txt")
             ? 0
             : 1;
}

// sigma inspect: prints one stage of the seed network's training step.
#include <fmt/format.h>

#include "frontend/SeedNetwork.h"
#include "tools/Commands.h"

namespace sigma::cli {

int inspectCommand(Args& args) {
  const std::string emit = args.value("emit", "graph");
  PassOptions passes = passOptionsFromFlags(args);
  args.finish();

  Stage stage{};
  bool known = false;
  for (Stage s : {Stage::ForwardGraph, Stage::Graph, Stage::LoopIR, Stage::LLVMIR, Stage::Assembly})
    if (emit == stageName(s)) stage = s, known = true;
  if (!known) fail("sigma inspect: --emit takes forward, graph, loop, llvm or asm, not '{}'", emit);

  TrainingStep step = compile(seedNetwork(), seedLoss(), seedOptimizer(), {.batch = 4, .passes = passes});
  fmt::print("{}", step.dump(stage));
  if (passes.timePasses) fmt::print(stderr, "{}", step.timingReport());
  if (!passes.dumpDir.empty()) fmt::print(stderr, "sigma inspect: every stage was written to {}/\n", passes.dumpDir);
  return 0;
}

}  // namespace sigma::cli

// sigma inspect: prints one stage of a training step: the seed network's by
// default, or the one `sigma train` would compile from the same model and
// optimizer flags (--model, --act, --optimizer, --l1, ..., tools/ModelFlags.h).
#include <fmt/format.h>

#include "ir/GraphDot.h"
#include "ir/GraphParser.h"
#include "passes/PlanMemory.h"
#include "tools/Commands.h"
#include "tools/ModelFlags.h"

namespace sigma::cli {

int inspectCommand(Args& args) {
  const std::string emit = args.value("emit", "graph");
  ModelFlags flags = takeModelFlags(args);
  PassOptions passes = passOptionsFromFlags(args);
  args.finish();

  Stage stage{};
  bool known = false;
  for (Stage s : {Stage::ForwardGraph, Stage::Graph, Stage::LoopIR, Stage::LLVMIR, Stage::Assembly})
    if (emit == stageName(s)) stage = s, known = true;
  const bool picture = emit == "dot" || emit == "svg";
  if (!known && !picture) fail("--emit takes forward, graph, loop, llvm, asm, dot or svg, not '{}'", emit);

  ChosenModel model = chooseModel(flags);
  // The seed network's batch is XOR's 4 samples; other models default to 128.
  const int64_t batch = chooseBatch(flags, model, model.isSeedNetwork ? 4 : 128);
  TrainingStep step = compileModel(model, chooseLoss(flags, model), chooseOptimizer(flags, model),
                                   {.batch = batch, .seed = uint64_t(flags.seed.value_or(1)), .passes = passes,
                                    .regularize = regularizationRules(flags)});
  if (picture) {
    // The picture draws the graph the loop module was lowered from (after
    // the graph passes), with each fused kernel as a cluster.
    std::string dot = graphToDot(parseGraph(step.dump(Stage::Graph), "<step>"), &step.loopModule());
    fmt::print("{}", emit == "dot" ? dot : dotToSvg(dot));
  } else {
    fmt::print("{}", step.dump(stage));
  }
  const loop::Module& m = step.loopModule();
  fmt::print(stderr, "sigma inspect: {} kernels; memory plan: temporaries in a {}-byte arena ({} bytes without reuse)\n",
             m.kernels.size(), m.tempArenaBytes(), unplannedTempBytes(m));
  if (passes.timePasses) fmt::print(stderr, "{}", step.timingReport());
  if (!passes.dumpDir.empty()) fmt::print(stderr, "sigma inspect: every stage was written to {}/\n", passes.dumpDir);
  return 0;
}

}  // namespace sigma::cli

// The one list of Sigma's passes, in default-pipeline order. A pass is a
// function behind a one-function header; this file only names them.
#include "passes/AlgebraicSimplification.h"
#include "passes/BlockReductions.h"
#include "passes/CommonSubexpressionElimination.h"
#include "passes/ConstantFolding.h"
#include "passes/DeadCodeElimination.h"
#include "passes/EliminateDeadKernels.h"
#include "passes/FuseEpilogue.h"
#include "passes/FuseSiblingLoops.h"
#include "passes/FuseWeightSumRegularization.h"
#include "passes/InlineElementwise.h"
#include "passes/LowerToLoops.h"
#include "passes/ParallelizeLoops.h"
#include "passes/PassManager.h"
#include "passes/PlanMemory.h"
#include "passes/ScalarizeTemporaries.h"
#include "passes/SplitReductions.h"

namespace sigma {

namespace {
PassInfo graphPass(std::string name, std::string description, void (*fn)(Graph&), bool fusion = false) {
  return {std::move(name), std::move(description), IRLevel::Graph, fusion, [fn](IRUnit& u) { fn(u.graph); }};
}
// A graph pass that explains its decisions (IRUnit::remarks).
PassInfo graphPass(std::string name, std::string description, void (*fn)(Graph&, std::vector<std::string>&)) {
  return {std::move(name), std::move(description), IRLevel::Graph, false, [fn](IRUnit& u) { fn(u.graph, u.remarks); }};
}
PassInfo loopPass(std::string name, std::string description, void (*fn)(loop::Module&), bool fusion = false) {
  return {std::move(name), std::move(description), IRLevel::Loop, fusion, [fn](IRUnit& u) { fn(u.loops); }};
}
// A loop pass that explains its decisions (IRUnit::remarks).
PassInfo loopPass(std::string name, std::string description,
                  void (*fn)(loop::Module&, std::vector<std::string>&), bool fusion = false) {
  return {std::move(name), std::move(description), IRLevel::Loop, fusion, [fn](IRUnit& u) { fn(u.loops, u.remarks); }};
}
}  // namespace

const std::vector<PassInfo>& passRegistry() {
  static const std::vector<PassInfo> passes = [] {
    std::vector<PassInfo> p;
    p.push_back(graphPass("verify", "check the graph (the manager verifies after every pass anyway)", [](Graph&) {}));
    p.push_back(graphPass("fold-constants", "evaluate nodes whose operands are all constants", foldConstants));
    p.push_back(graphPass("simplify", "algebraic pattern rules that keep IEEE results bit for bit (x*1 -> x, ...)",
                          simplifyAlgebra));
    p.push_back(graphPass("cse", "merge nodes computing the same op on the same operands",
                          eliminateCommonSubexpressions));
    p.push_back(graphPass("dce", "remove nodes no output or update depends on", eliminateDeadCode));
    p.push_back({"lower-to-loops", "graph IR -> loop IR: one loop nest per node", IRLevel::Graph, false,
                 [](IRUnit& u) {
                   u.loops = lowerToLoops(u.graph, u.target);
                   u.level = IRLevel::Loop;
                 }});
    p.push_back(loopPass("verify-loops", "check the loop IR", [](loop::Module&) {}));
    p.push_back(loopPass("fuse-elementwise", "inline elementwise producers into their consumers' loops",
                         inlineElementwise, true));
    p.push_back(loopPass("fuse-weight-sum-regularization",
                         "one pass per weight: penalties, their gradients, the update and the weight sums",
                         fuseWeightSumRegularization, true));
    p.push_back(loopPass("fuse-loops", "merge loops over the same space that share a buffer (sibling reductions)",
                         fuseSiblingLoops, true));
    p.push_back(loopPass("fuse-epilogue", "move a consumer into its producer's outer loop (matmul bias + activation)",
                         fuseEpilogues, true));
    p.push_back(loopPass("block-reductions",
                         "split a long one-dimensional loop with a reduction in blocks of 4096, so that blocks can "
                         "have lanes of their own and run in parallel",
                         blockReductions));
    p.push_back(loopPass("scalarize-temporaries",
                         "a temporary written and read back point by point in one loop body becomes one element",
                         scalarizeTemporaries));
    p.push_back(loopPass("split-reductions",
                         "give each scalar reduction 16 (or 8) lanes combined in a fixed order, so it vectorizes",
                         splitReductions));
    p.push_back(loopPass("eliminate-dead-kernels", "remove kernels whose results nobody reads", eliminateDeadKernels));
    p.push_back(loopPass("parallelize-loops",
                         "mark top-level loops whose iterations write disjoint elements parallel (the thread pool)",
                         parallelizeLoops));
    p.push_back(loopPass("plan-memory", "share arena bytes between temporaries whose lifetimes do not overlap",
                         planMemory));
    return p;
  }();
  return passes;
}

std::vector<const PassInfo*> defaultPipeline() {
  std::vector<const PassInfo*> out;
  for (const PassInfo& p : passRegistry())
    if (p.name.rfind("verify", 0) != 0) out.push_back(&p);
  return out;
}

}  // namespace sigma

// The one list of Sigma's passes, in default-pipeline order. A pass is a
// function behind a one-function header; this file only names them.
#include "passes/LowerToLoops.h"
#include "passes/PassManager.h"

namespace sigma {

namespace {
PassInfo graphPass(std::string name, std::string description, void (*fn)(Graph&), bool fusion = false) {
  return {std::move(name), std::move(description), IRLevel::Graph, fusion, [fn](IRUnit& u) { fn(u.graph); }};
}
PassInfo loopPass(std::string name, std::string description, void (*fn)(loop::Module&), bool fusion = false) {
  return {std::move(name), std::move(description), IRLevel::Loop, fusion, [fn](IRUnit& u) { fn(u.loops); }};
}
}  // namespace

const std::vector<PassInfo>& passRegistry() {
  static const std::vector<PassInfo> passes = [] {
    std::vector<PassInfo> p;
    p.push_back(graphPass("verify", "check the graph (the manager verifies after every pass anyway)", [](Graph&) {}));
    p.push_back({"lower-to-loops", "graph IR -> loop IR: one loop nest per node", IRLevel::Graph, false,
                 [](IRUnit& u) {
                   u.loops = lowerToLoops(u.graph);
                   u.level = IRLevel::Loop;
                 }});
    p.push_back(loopPass("verify-loops", "check the loop IR", [](loop::Module&) {}));
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

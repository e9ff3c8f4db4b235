// The pass manager: every transformation is a named pass in one registry
// (passes/PassRegistry.cpp); a pipeline is a list of names. The IR is
// verified after every pass, and the manager can print the IR after all or
// some passes, dump each stage to numbered files, and time every pass.
//
// A pipeline starts on the graph IR and may cross to the loop IR once, at
// the `lower-to-loops` pass; graph passes after it are an error.
#pragma once

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "ir/Graph.h"
#include "ir/LoopIR.h"
#include "passes/LowerToLoops.h"

namespace sigma {

enum class IRLevel { Graph, Loop };
struct IRUnit;

struct PassInfo {
  std::string name;         // "dce", "fuse-elementwise", ...
  std::string description;  // one line, for `sigma opt --list-passes`
  IRLevel level;            // which IR it transforms (lower-to-loops: Graph)
  bool isFusion = false;    // skipped under --no-fusion
  std::function<void(IRUnit&)> run;
};

// All passes, in the order of the default pipeline.
const std::vector<PassInfo>& passRegistry();
// The pipeline `compile` runs: graph passes, lower-to-loops, loop passes.
std::vector<const PassInfo*> defaultPipeline();
const PassInfo* findPass(const std::string& name);  // nullptr if unknown
// Throws sigma::Error for an unknown name, listing the known ones.
std::vector<const PassInfo*> resolvePasses(const std::vector<std::string>& names);

struct PassOptions {
  bool printAfterAll = false;
  std::set<std::string> printAfter;  // pass names
  std::string dumpDir;               // numbered files, one per stage and pass
  bool timePasses = false;
  bool noFusion = false;
  // Where --print-after output goes (stderr by default).
  std::function<void(const std::string&)> print;
};

struct PassTiming {
  std::string name;
  double milliseconds;
};

// The IR as it moves through a pipeline: a graph, then (after lowering) loops.
struct IRUnit {
  IRLevel level = IRLevel::Graph;
  Graph graph;
  loop::Module loops;
  // What lower-to-loops tailors the loops to (the matmul register block):
  // AVX2's by default, the host's in compile() (passes/LowerToLoops.h).
  LoweringTarget target;
  // What passes decided and why (fusion taken or refused, ...), in order;
  // the manager shows each pass's remarks in its dump and printout.
  std::vector<std::string> remarks;
  std::string text() const;  // the current IR, printed
};

class PassManager {
 public:
  explicit PassManager(PassOptions options = {});

  // Records a stage that did not come from a registered pass (e.g. the
  // frontend's graph, or codegen's LLVM IR) for dumps and timings.
  void recordStage(const std::string& name, const std::string& text, const std::string& extension, double ms = 0,
                   const std::vector<std::string>& remarks = {});
  // Runs `passes` in order on `unit`, verifying after each.
  void run(IRUnit& unit, const std::vector<const PassInfo*>& passes);

  const std::vector<PassTiming>& timings() const { return timings_; }
  std::string timingReport() const;  // a table, like LLVM's -time-passes
  const PassOptions& options() const { return options_; }

 private:
  void after(const std::string& name, const IRUnit& unit, size_t firstRemark, double ms);

  void writeIndex(const std::string& file, const std::string& name, const std::string& text,
                  const std::vector<std::string>& remarks, double ms);

  PassOptions options_;
  std::vector<PassTiming> timings_;
  int dumpCounter_ = 0;
  std::string index_;           // DIR/index.txt so far
  int64_t previousLines_ = -1;  // the previous dump's size
};

}  // namespace sigma

// The pipeline cache: what makes a second compile of the same training step
// skip Sigma's own graph and loop passes, as the object cache
// (codegen/CompileCache.h) skips LLVM's. W2's passes take about 20 ms, most
// of a compile from a warm object cache.
//
// An entry maps the training graph that autodiff built, printed, to the loop
// IR the pipeline and the training loop made of it, printed, and to the
// optimized graph's text (what `--emit graph` shows). The key is a SHA-256
// of that graph text, the lowering target (vector registers and lanes),
// --no-fusion, the training loop's spec (its gathers, feeds and record, in
// order: what the host side writes and reads; none without the loop),
// Sigma's version and a fingerprint of the sources that decide the passes'
// output: passes/, ir/, the interpreter that constant folding runs, and the
// frontend files that build the spec and drive the pipeline
// (codegen/Version.h). A rebuilt Sigma whose passes changed never reuses
// an old entry. The text covers the rest, since the graph IR prints what
// it holds (its text parses back to the same graph; one known gap: every
// NaN constant prints as `nan`, whatever its sign and payload bits).
//
// Entries are files of the object cache's directory and format (one
// CompileCache, the same atomic writes and checks), under keys of their
// own. A hit is parsed and verified like any IR text; one that fails is
// treated as damaged and the pipeline runs (and rewrites it); the timing
// report says which happened. Printing, dumping or timing the passes
// (--print-after(-all), --dump-dir, --time-passes) runs them. The cache is
// CompileOptions::cache, so the interpreter backend uses it too.
#pragma once

#include <optional>
#include <string>

#include "codegen/CompileCache.h"
#include "passes/AddTrainingLoop.h"
#include "passes/LowerToLoops.h"

namespace sigma {

struct PipelineResult {
  std::string loopText;   // the final loop-IR module, printed
  std::string graphText;  // the optimized graph, printed
};

class PipelineCache {
 public:
  // `trainingLoop`: the spec the module's loop was added with, or none.
  PipelineCache(const codegen::CacheOptions& options, const std::string& trainingGraphText,
                const LoweringTarget& target, bool noFusion, const std::optional<TrainingLoopSpec>& trainingLoop);

  bool enabled() const { return cache_.enabled(); }
  // The cached result (status Hit), or the status of a lookup that found
  // none (Disabled, Miss, Damaged; `problem` says why an entry was damaged).
  // Never throws.
  struct Lookup {
    codegen::CacheStatus status = codegen::CacheStatus::Disabled;
    std::optional<PipelineResult> result;
    std::string problem;
  };
  Lookup load() const;
  // Stores the result; false when the directory cannot be written. Never throws.
  bool store(const PipelineResult& result) const;

 private:
  codegen::CompileCache cache_;
  std::string key_;
};

}  // namespace sigma

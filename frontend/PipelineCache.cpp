#include "frontend/PipelineCache.h"

#include <fmt/format.h>

#include "codegen/Version.h"

namespace sigma {

namespace {
// The spec as text, every field in order: two specs that differ anywhere differ here.
std::string describe(const std::optional<TrainingLoopSpec>& spec) {
  if (!spec) return "no training loop";
  std::string text = fmt::format("order {}\nfeeds {}\nrecord {}\n", spec->order, spec->feeds, spec->record);
  for (const TrainingLoopSpec::Gather& g : spec->gathers)
    text += fmt::format("gather {} {} {} {}\n", g.buffer, g.table, g.rows, g.rowSize);
  for (const std::string& name : spec->feedNames) text += "feed " + name + "\n";
  for (const std::string& name : spec->recordNames) text += "record " + name + "\n";
  return text;
}
}  // namespace

PipelineCache::PipelineCache(const codegen::CacheOptions& options, const std::string& trainingGraphText,
                             const LoweringTarget& target, bool noFusion,
                             const std::optional<TrainingLoopSpec>& trainingLoop)
    : cache_(options) {
  if (!cache_.enabled()) return;
  key_ = codegen::cacheKey({"sigma pipeline cache", codegen::sigmaVersion(), codegen::pipelineFingerprint(),
                            std::to_string(target.vectorRegisters), std::to_string(target.vectorLanes),
                            std::to_string(target.l2Bytes),
                            noFusion ? "no-fusion" : "fusion", describe(trainingLoop), trainingGraphText});
}

// The entry's two texts travel in the object cache's two payload fields.
PipelineCache::Lookup PipelineCache::load() const {
  if (!cache_.enabled()) return {};
  codegen::CompileCache::Lookup found = cache_.load(key_);
  Lookup lookup{.status = found.status, .result = std::nullopt, .problem = std::move(found.problem)};
  if (found.status == codegen::CacheStatus::Hit && found.entry)
    lookup.result = PipelineResult{std::move(found.entry->object), std::move(found.entry->optimizedIR)};
  return lookup;
}

bool PipelineCache::store(const PipelineResult& result) const {
  if (!cache_.enabled()) return false;
  return cache_.store(key_, codegen::CacheEntry{result.loopText, result.graphText});
}

}  // namespace sigma

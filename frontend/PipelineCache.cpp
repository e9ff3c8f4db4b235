#include "frontend/PipelineCache.h"

#include "codegen/Version.h"

namespace sigma {

PipelineCache::PipelineCache(const codegen::CacheOptions& options, const std::string& trainingGraphText,
                             const LoweringTarget& target, bool noFusion, bool trainingLoop)
    : cache_(options) {
  if (!cache_.enabled()) return;
  key_ = codegen::cacheKey({"sigma pipeline cache", codegen::sigmaVersion(), codegen::pipelineFingerprint(),
                            std::to_string(target.vectorRegisters), std::to_string(target.vectorLanes),
                            noFusion ? "no-fusion" : "fusion", trainingLoop ? "training-loop" : "step-only",
                            trainingGraphText});
}

// The entry's two texts travel in the object cache's two payload fields.
std::optional<PipelineResult> PipelineCache::load() const {
  if (!cache_.enabled()) return std::nullopt;
  codegen::CompileCache::Lookup found = cache_.load(key_);
  if (found.status != codegen::CacheStatus::Hit || !found.entry) return std::nullopt;
  return PipelineResult{std::move(found.entry->object), std::move(found.entry->optimizedIR)};
}

bool PipelineCache::store(const PipelineResult& result) const {
  if (!cache_.enabled()) return false;
  return cache_.store(key_, codegen::CacheEntry{result.loopText, result.graphText});
}

}  // namespace sigma

// The flags that choose a model and how it trains, shared by `sigma train`
// and `sigma inspect` (BRIEF §3: inspect takes the same model and optimizer
// flags): --model, --act, --loss, --optimizer, --lr, --momentum,
// --weight-decay, --l1, --l2, --l1-proximal, --batch, --seed; and how it is
// compiled: --opt-level N (-O0..-O3), --no-cache, --cache-dir DIR.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "frontend/Compile.h"
#include "frontend/ModelSpec.h"
#include "tools/Args.h"

namespace sigma::cli {

// Numeric flags whose absence matters (their defaults depend on others).
std::optional<double> numberFlag(Args& args, const std::string& name);
std::optional<int64_t> integerFlag(Args& args, const std::string& name);

struct ModelFlags {
  std::optional<std::string> model, act, optimizer, loss;
  std::optional<double> lr, momentum, weightDecay, l1, l2;
  std::optional<int64_t> batch, seed;
  bool l1Proximal = false;
  std::optional<int64_t> optLevel;  // --opt-level N or -O<N>
  bool noCache = false;
  bool noTiering = false;  // --no-tiering: compile at the level directly (no O0 stand-in)
  std::optional<std::string> cacheDir;

  // Any flag besides --seed and --lr (which the seed-network demo takes too).
  // The compile flags count: the demo does not take them, so with them
  // `sigma train` runs the sigma::fit loop, which does.
  bool any() const;
};
ModelFlags takeModelFlags(Args& args);

// A model chosen by --model and --act, not compiled yet.
struct ChosenModel {
  std::optional<nn::Sequential> net;  // the seed network or an mlp: spec
  std::optional<ModelFile> file;      // a graph-IR file
  std::string text;                   // for messages and headers
  bool isSeedNetwork = false;
  int64_t inputs = 0, outputs = 0;    // features per sample, values predicted per sample
  int64_t fixedBatch = 0;             // a model file's batch; 0: --batch decides
  // --opt-level and the cache flags, applied by compileModel over its options.
  std::optional<int> optLevel;
  std::optional<codegen::CacheOptions> cache;
  bool noTiering = false;
};
// Without --model: the seed network (2-3-1 tanh, L1+L2 1e-4 on its weights).
ChosenModel chooseModel(const ModelFlags& flags);
Loss chooseLoss(const ModelFlags& flags, const ChosenModel& model);
Optimizer chooseOptimizer(const ModelFlags& flags, const ChosenModel& model);
// --l1/--l2 as a rule for every weight matrix; empty without them.
std::vector<RegularizerRule> regularizationRules(const ModelFlags& flags);
std::string regularizationText(const ModelFlags& flags, const ChosenModel& model);
// The batch: a model file's own, else --batch, else `fallback`.
int64_t chooseBatch(const ModelFlags& flags, const ChosenModel& model, int64_t fallback);

// Compiles the model (consuming a model file's graph), at the model's
// --opt-level and with its cache flags where they were given.
TrainingStep compileModel(ChosenModel& model, const Loss& loss, const Optimizer& optimizer,
                          const CompileOptions& options);

}  // namespace sigma::cli

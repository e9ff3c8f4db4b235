#include "tools/ModelFlags.h"

#include <cmath>

#include "frontend/SeedNetwork.h"
#include "ir/Error.h"

namespace sigma::cli {

std::optional<double> numberFlag(Args& args, const std::string& name) {
  auto v = args.value(name);
  if (!v) return std::nullopt;
  try {
    size_t used = 0;
    double n = std::stod(*v, &used);
    if (used == v->size() && std::isfinite(n)) return n;
  } catch (const std::exception&) {
  }
  fail("--{} expects a number, got '{}'", name, *v);
}

std::optional<int64_t> integerFlag(Args& args, const std::string& name) {
  auto v = args.value(name);
  if (!v) return std::nullopt;
  try {
    size_t used = 0;
    long long n = std::stoll(*v, &used);
    if (used == v->size()) return n;
  } catch (const std::exception&) {
  }
  fail("--{} expects an integer, got '{}'", name, *v);
}

bool ModelFlags::any() const {
  return model || act || optimizer || loss || momentum || weightDecay || l1 || l2 || batch || l1Proximal || optLevel ||
         noCache || noTiering || cacheDir;
}

ModelFlags takeModelFlags(Args& args) {
  ModelFlags f;
  f.model = args.value("model");
  f.act = args.value("act");
  f.optimizer = args.value("optimizer");
  f.loss = args.value("loss");
  f.lr = numberFlag(args, "lr");
  f.momentum = numberFlag(args, "momentum");
  f.weightDecay = numberFlag(args, "weight-decay");
  f.l1 = numberFlag(args, "l1");
  f.l2 = numberFlag(args, "l2");
  f.l1Proximal = args.flag("l1-proximal");
  f.batch = integerFlag(args, "batch");
  f.seed = integerFlag(args, "seed");
  for (int level = 0; level <= 3; ++level)
    if (args.literal("-O" + std::to_string(level))) f.optLevel = level;
  if (auto level = integerFlag(args, "opt-level")) f.optLevel = level;
  f.noCache = args.flag("no-cache");
  f.noTiering = args.flag("no-tiering");
  f.cacheDir = args.value("cache-dir");
  for (auto [name, v] : {std::pair{"l1", f.l1}, {"l2", f.l2}, {"lr", f.lr}, {"weight-decay", f.weightDecay}})
    if (v && *v < 0) fail("--{} must be non-negative, got {}", name, *v);
  if (f.l1Proximal && !f.l1) fail("--l1-proximal makes --l1 proximal; give --l1 too");
  if (f.batch && *f.batch <= 0) fail("--batch must be positive, got {}", *f.batch);
  if (f.seed && *f.seed < 0) fail("--seed must be non-negative, got {}", *f.seed);
  if (f.optLevel && (*f.optLevel < 0 || *f.optLevel > 3)) fail("--opt-level must be 0, 1, 2 or 3, got {}", *f.optLevel);
  if (f.noCache && f.cacheDir) fail("--no-cache and --cache-dir contradict each other; give one");
  if (f.cacheDir && f.cacheDir->empty()) fail("--cache-dir needs a directory");
  return f;
}

ChosenModel chooseModel(const ModelFlags& f) {
  ChosenModel m;
  if (!f.model) {
    if (f.act) fail("--act applies to --model mlp:...; the default model is the seed network (tanh)");
    m.net = seedNetwork();
    m.isSeedNetwork = true;
    m.inputs = 2, m.outputs = 1;
  } else if (looksLikeModelSpec(*f.model)) {
    MlpSpec spec = parseMlpSpec(*f.model);
    m.net = buildMlp(spec, parseActivation(f.act.value_or("relu")));
    m.inputs = spec.inputs(), m.outputs = spec.outputs();
  } else {
    if (f.act) fail("--act applies to --model mlp:...; a model file has its own activations");
    m.file = loadModelFile(*f.model);
    m.fixedBatch = m.file->batch;
    const Graph& g = m.file->builder.graph();
    m.inputs = g.find("x")->type.size() / m.fixedBatch;
    m.outputs = m.file->prediction.type().size() / m.fixedBatch;
    if (f.batch && *f.batch != m.fixedBatch)
      fail("--batch {} differs from the batch of {} (%x : {}); shapes in a model file are fixed", *f.batch,
           *f.model, g.find("x")->type.str());
  }
  m.text = m.net ? m.net->str() : *f.model;
  if (f.optLevel) m.optLevel = int(*f.optLevel);
  if (f.noCache) m.cache = codegen::CacheOptions{.enabled = false};
  m.noTiering = f.noTiering;
  if (f.cacheDir) m.cache = codegen::CacheOptions{.enabled = true, .directory = *f.cacheDir};
  return m;
}

Loss chooseLoss(const ModelFlags& f, const ChosenModel& m) {
  if (!f.loss) return m.outputs == 1 ? loss::mse() : loss::cross_entropy();
  if (*f.loss == "mse") return loss::mse();
  if (*f.loss == "cross_entropy") return loss::cross_entropy();
  if (*f.loss == "bce_with_logits") return loss::bce_with_logits();
  fail("unknown loss '{}' (expected mse, cross_entropy or bce_with_logits)", *f.loss);
}

Optimizer chooseOptimizer(const ModelFlags& f, const ChosenModel& m) {
  const std::string name = f.optimizer.value_or("sgd");
  const bool isMomentum = name == "momentum" || name == "nesterov";
  if (f.momentum && !isMomentum) fail("--momentum applies to --optimizer momentum or nesterov, not {}", name);
  if (f.weightDecay && name != "adamw")
    fail("--weight-decay is AdamW's decoupled decay (--optimizer adamw); with {} use --l2 (PyTorch's "
         "weight_decay=wd is --l2 wd/2)",
         name);
  const float momentum = float(f.momentum.value_or(0.9));
  if (isMomentum && (momentum < 0 || momentum >= 1)) fail("--momentum {} is outside [0, 1)", momentum);
  // The seed network's rate is 0.1 (workload W1); 0.01 is a common default for the rest.
  const float sgdRate = float(f.lr.value_or(m.isSeedNetwork ? 0.1 : 0.01)), adamRate = float(f.lr.value_or(1e-3));
  if (name == "sgd") return optim::sgd({.lr = sgdRate});
  if (name == "momentum") return optim::momentum({.lr = sgdRate, .momentum = momentum});
  if (name == "nesterov") return optim::nesterov({.lr = sgdRate, .momentum = momentum});
  if (name == "adam") return optim::adam({.lr = adamRate});
  if (name == "adamw") return optim::adamw({.lr = adamRate, .weight_decay = float(f.weightDecay.value_or(1e-2))});
  fail("unknown optimizer '{}' (expected sgd, momentum, nesterov, adam or adamw)", name);
}

std::vector<RegularizerRule> regularizationRules(const ModelFlags& f) {
  if (!f.l1 && !f.l2) return {};
  return {{"*", {float(f.l1.value_or(0)), float(f.l2.value_or(0)), f.l1Proximal}}};
}

std::string regularizationText(const ModelFlags& f, const ChosenModel& m) {
  std::vector<RegularizerRule> rules = regularizationRules(f);
  if (!rules.empty()) return rules[0].reg.str() + " on every weight matrix";
  return m.isSeedNetwork ? "the seed network's l1(0.0001) + l2(0.0001)" : "none";
}

int64_t chooseBatch(const ModelFlags& f, const ChosenModel& m, int64_t fallback) {
  return m.fixedBatch ? m.fixedBatch : f.batch.value_or(fallback);
}

TrainingStep compileModel(ChosenModel& m, const Loss& loss, const Optimizer& optimizer,
                          const CompileOptions& optionsIn) {
  CompileOptions options = optionsIn;
  if (m.optLevel) options.optLevel = *m.optLevel;
  if (m.cache) options.cache = *m.cache;
  if (m.noTiering) options.tiered = false;
  if (m.net) return compile(*m.net, loss, optimizer, options);
  if (!m.file) fail("{}: the model file was compiled already", m.text);
  ModelFile file = std::move(*m.file);
  m.file.reset();
  return compile(std::move(file.builder), file.prediction, loss, optimizer, options);
}

}  // namespace sigma::cli

#include "frontend/Compile.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <optional>
#include <utility>

#include <fmt/format.h>

#include "codegen/JitModule.h"
#include "frontend/PipelineCache.h"
#include "frontend/TrainingGraph.h"
#include "ir/Error.h"
#include "ir/GraphPrinter.h"
#include "ir/GraphVerifier.h"
#include "ir/LoopParser.h"
#include "ir/LoopPrinter.h"
#include "ir/LoopVerifier.h"
#include "passes/LowerToLoops.h"

namespace sigma {

const char* stageName(Stage s) {
  static const char* names[] = {"forward", "graph", "loop", "llvm", "asm"};
  return names[int(s)];
}

namespace {
// Milliseconds since the previous lap (or since construction).
struct Stopwatch {
  std::chrono::steady_clock::time_point last = std::chrono::steady_clock::now();
  double lap() {
    auto now = std::chrono::steady_clock::now();
    return std::chrono::duration<double, std::milli>(now - std::exchange(last, now)).count();
  }
};

// The JIT's stages as rows of the timing report (--time-passes), in the
// order they ran; `totalMs` is the whole Executable's construction, so the
// rows add up to it. Only the LLVM IR and assembly rows carry text (dumps).
void recordCodegenStages(PassManager& pm, const codegen::JitModule& jit, double totalMs, const PassOptions& options) {
  const codegen::CodegenTimings& t = jit.timings();
  const codegen::CacheReport& cache = jit.cache();
  const bool hit = cache.status == codegen::CacheStatus::Hit;
  if (cache.status != codegen::CacheStatus::Disabled)
    pm.recordStage(fmt::format("cache-lookup: {}{}", codegen::cacheStatusName(cache.status),
                               hit ? " (no LLVM IR generation, optimization or machine code)" : ""),
                   "", "", t.cacheLookup);
  if (!hit) {
    pm.recordStage("emit-llvm", "", "", t.emitIR);
    pm.recordStage(fmt::format("llvm-O{}", jit.optLevel()), "", "", t.optimize);
  }
  // The optimized IR: printed by the compile, or read from the cache entry.
  const bool wantsText = !options.dumpDir.empty() || options.printAfterAll;
  pm.recordStage("llvm-ir", wantsText ? jit.llvmIR() : "", "ll", t.printIR);
  if (!hit) pm.recordStage("machine-code", "", "", t.machineCode);
  if (!hit && cache.status != codegen::CacheStatus::Disabled)
    pm.recordStage(cache.stored ? "cache-store" : "cache-store: not written (directory not writable)", "", "",
                   t.cacheStore);
  pm.recordStage("jit-link", "", "", t.link);
  const double stages = t.cacheLookup + t.emitIR + t.optimize + t.printIR + t.machineCode + t.cacheStore + t.link;
  pm.recordStage("runtime-setup", "", "", std::max(0.0, totalMs - stages));  // target detection, arena
}

// The loop IR of a pipeline-cache hit, parsed and verified, and the
// optimized graph's text; nothing on a miss, or when the entry does not
// parse or verify (the pipeline then runs and rewrites it). Records a row
// saying which (when the cache is on).
std::optional<loop::Module> loadCachedPipeline(const PipelineCache& cache, std::string& graphText, PassManager& pm,
                                               Stopwatch& clock) {
  PipelineCache::Lookup found = cache.load();
  if (found.status == codegen::CacheStatus::Disabled) return std::nullopt;
  std::string outcome;
  std::optional<loop::Module> module;
  if (found.result) {
    try {
      module = parseModule(found.result->loopText, "<pipeline cache>");
      verifyModule(*module);
      graphText = std::move(found.result->graphText);
      outcome = "hit (no graph or loop passes)";
    } catch (const Error& e) {
      module.reset();
      outcome = fmt::format("damaged (its loop IR: {}); the passes run", e.what());
    }
  } else {
    outcome = found.status == codegen::CacheStatus::Damaged ? fmt::format("damaged ({})", found.problem)
                                                            : std::string(codegen::cacheStatusName(found.status));
  }
  pm.recordStage("pipeline-cache: " + outcome, "", "", clock.lap());
  return module;
}
}  // namespace

TrainingStep compile(GraphBuilder&& builderIn, Tensor prediction, const Loss& loss, const Optimizer& optimizer,
                     const CompileOptions& options) {
  TrainingStep step;
  step.builder_ = std::make_unique<GraphBuilder>(std::move(builderIn));
  GraphBuilder& builder = *step.builder_;
  Graph& graph = builder.graph();
  if (prediction.graph() != &graph) fail("compile: the prediction was not built by this GraphBuilder");
  Node* x = graph.find("x");
  if (!x || x->op != Op::Input) fail("compile: the model needs an input named 'x'");

  // The pipeline, one step per line (Halide's Lower.cpp style): each stage
  // is timed, verified, and can be printed or dumped (CompileOptions::passes).
  PassManager pm(options.passes);
  Stopwatch clock;
  verifyGraph(graph);
  step.forwardText_ = printGraph(graph);
  pm.recordStage("forward", step.forwardText_, "sg", clock.lap());

  // The forward graph stays available for evaluation (frontend/Evaluator.h).
  step.forward_ = std::make_unique<Graph>(cloneGraph(graph));
  step.predictionId_ = prediction.node()->id;

  graph.setName(graph.name() + "_step");
  step.info_ = buildTrainingStep(builder, prediction, loss, optimizer, options.regularize, options.weightStats);
  verifyGraph(graph);
  const std::string trainingGraphText = printGraph(graph);
  pm.recordStage("autodiff", trainingGraphText, "sg", clock.lap());

  // What prints, dumps or times stages runs every pass (no pipeline cache)
  // and compiles untiered: the stages shown are then the final code's.
  const bool showsStages = options.passes.timePasses || options.passes.printAfterAll ||
                           !options.passes.printAfter.empty() || !options.passes.dumpDir.empty();
  const bool tiered = options.tiered && !showsStages;
  const int64_t batch = x->type.shape.empty() ? 1 : x->type.shape[0];
  std::optional<TrainingLoopSpec> spec;
  if (options.trainingLoop) {
    spec = trainingLoopSpec(step.info_, batch, x->type.size(), graph.find("target")->type.size());
    step.loopFeedWidth_ = int64_t(spec->feedNames.size());
    step.loopRecordWidth_ = int64_t(spec->recordNames.size());
  }

  IRUnit unit;
  unit.target = LoweringTarget::host(options.isa);
  const PipelineCache pipelineCache(showsStages ? codegen::CacheOptions{.enabled = false} : options.cache,
                                    trainingGraphText, unit.target, options.passes.noFusion, spec);
  if (std::optional<loop::Module> cached = loadCachedPipeline(pipelineCache, step.graphText_, pm, clock)) {
    unit.loops = std::move(*cached);
  } else {
    unit.graph = cloneGraph(graph);
    pm.run(unit, defaultPipeline());
    clock.lap();
    step.graphText_ = printGraph(unit.graph);
    if (spec) {
      addTrainingLoop(unit.loops, *spec);
      verifyModule(unit.loops);
      const bool wantsText = !options.passes.dumpDir.empty() || options.passes.printAfterAll;
      pm.recordStage("add-training-loop", wantsText ? printModule(unit.loops) : "", "sl", clock.lap());
    }
    if (pipelineCache.enabled()) {
      const bool stored = pipelineCache.store({printModule(unit.loops), step.graphText_});
      pm.recordStage(stored ? "pipeline-cache: store" : "pipeline-cache: store: not written (directory not writable)",
                     "", "", clock.lap());
    }
  }

  step.execOptions_ = {options.backend, options.optLevel, options.cache, options.threads, tiered, options.isa};
  step.exec_ = std::make_unique<Executable>(std::move(unit.loops), step.execOptions_);
  const double executableMs = clock.lap();
  if (const codegen::JitModule* jit = step.exec_->currentJit()) {
    recordCodegenStages(pm, *jit, executableMs, options.passes);
    clock.lap();
    if (!options.passes.dumpDir.empty()) pm.recordStage("asm", jit->assembly(), "s", clock.lap());
  } else {
    pm.recordStage("executable", "", "", executableMs);
  }
  step.timings_ = pm.timings();
  step.timingReport_ = pm.timingReport();

  // Seeded initialization, in the order the parameters were declared.
  Rng rng(options.seed);
  for (const ParameterSpec& spec : builder.parameterSpecs()) {
    std::span<float> data = step.exec_->f32(spec.name);
    spec.init.fill(data.data(), graph.find(spec.name)->type.shape, rng, spec.fanIn);
  }

  step.graph_ = &graph;
  step.lr_ = optimizer.lr;
  step.optimizer_ = optimizer;
  step.loss_ = loss;
  for (const auto& r : step.info_.regularized) step.regs_.push_back(r.reg);
  step.bindBuffers();
  step.batch_ = batch;
  step.inputSize_ = x->type.size();
  step.targetSize_ = graph.find("target")->type.size();
  return step;
}

TrainingStep compile(const nn::Module& net, const Loss& loss, const Optimizer& optimizer,
                     const CompileOptions& options) {
  int64_t features = options.inputFeatures ? options.inputFeatures : net.inFeatures();
  if (features <= 0) fail("compile: cannot tell the network's input size; set CompileOptions::inputFeatures");
  if (options.batch <= 0) fail("compile: batch must be positive, got {}", options.batch);
  GraphBuilder builder("model");
  Tensor x = builder.input("x", {options.batch, features});
  Tensor prediction = net.forward(builder, x);
  return compile(std::move(builder), prediction, loss, optimizer, options);
}

StepResult TrainingStep::run(std::span<const float> x, std::span<const float> target, int64_t steps) {
  if (int64_t(x.size()) != inputSize_)
    fail("TrainingStep::run: x has {} values, the step expects {}", x.size(), inputSize_);
  if (int64_t(target.size()) != targetSize_)
    fail("TrainingStep::run: target has {} values, the step expects {}", target.size(), targetSize_);
  std::memcpy(exec_->f32("x").data(), x.data(), x.size_bytes());
  std::memcpy(exec_->f32("target").data(), target.data(), target.size_bytes());
  StepResult r;
  for (int64_t i = 0; i < steps; ++i) r = runInPlace();
  return r;
}

void TrainingStep::bindBuffers() {
  auto out = [&](const std::string& name) { return std::as_const(*exec_).f32(name).data(); };
  lrBuffer_ = exec_->f32("lr").data();
  for (const std::string& name : info_.scalarInputs) scalarBuffers_.push_back(exec_->f32(name).data());
  for (const auto& r : info_.regularized)
    regBuffers_.push_back({exec_->f32(r.parameter + ".l1").data(), exec_->f32(r.parameter + ".l2").data()});
  lossBuffer_ = out("loss");
  dataLossBuffer_ = out("data_loss");
  for (const std::string& p : info_.weightStats ? info_.parameters : std::vector<std::string>{}) {
    std::array<const float*, 6> stats{};
    for (size_t i = 0; i < stats.size(); ++i) stats[i] = out(p + "." + kWeightStatNames[i]);
    statBuffers_.push_back(stats);
  }
}

StepResult TrainingStep::runInPlace() {
  *lrBuffer_ = lr_;
  if (!scalarBuffers_.empty()) {
    std::vector<float> values = optimizer_.stepInputs(stepCount_ + 1);
    for (size_t i = 0; i < values.size(); ++i) *scalarBuffers_[i] = values[i];
  }
  for (size_t i = 0; i < regBuffers_.size(); ++i) {
    *regBuffers_[i].first = regs_[i].l1;
    *regBuffers_[i].second = regs_[i].l2;
  }
  exec_->run();
  ++stepCount_;
  StepResult r;
  r.loss = *lossBuffer_;
  r.data_loss = *dataLossBuffer_;
  r.weights.reserve(statBuffers_.size());
  for (size_t p = 0; p < statBuffers_.size(); ++p) {
    const auto& s = statBuffers_[p];
    r.weights.push_back({info_.parameters[p], *s[0], *s[1], *s[2], *s[3], *s[4], *s[5]});
  }
  return r;
}

std::vector<std::string> TrainingStep::regularizedParameters() const {
  std::vector<std::string> names;
  for (const auto& r : info_.regularized) names.push_back(r.parameter);
  return names;
}

namespace {
size_t regularizedIndex(const TrainingGraphInfo& info, const std::string& parameter) {
  for (size_t i = 0; i < info.regularized.size(); ++i)
    if (info.regularized[i].parameter == parameter) return i;
  for (const std::string& p : info.parameters)
    if (p == parameter)
      fail("regularizer of '{}': the step was compiled without a regularizer on it; give it one at compile time "
           "(a layer regularizer or CompileOptions::regularize) to change its coefficients later",
           parameter);
  fail("regularizer of '{}': the step has no parameter of that name", parameter);
}
}  // namespace

Regularizer TrainingStep::regularizer(const std::string& parameter) const {
  return regs_[regularizedIndex(info_, parameter)];
}

void TrainingStep::setRegularizer(const std::string& parameter, Regularizer reg) {
  size_t i = regularizedIndex(info_, parameter);
  if (reg.proximal != regs_[i].proximal && reg.l1 != 0)
    fail("regularizer of '{}': compiled with {} L1, cannot switch to {} L1 without recompiling", parameter,
         regs_[i].proximal ? "proximal" : "plain", reg.proximal ? "proximal" : "plain");
  regs_[i] = {reg.l1, reg.l2, regs_[i].proximal};
}

std::string TrainingStep::dump(Stage stage) const {
  switch (stage) {
    case Stage::ForwardGraph: return forwardText_;
    case Stage::Graph: return graphText_;
    case Stage::LoopIR: return printModule(exec_->module());
    case Stage::LLVMIR:
    case Stage::Assembly:
      if (!exec_->jit()) fail("dump {}: the step runs on the interpreter; compile with Backend::JIT", stageName(stage));
      return stage == Stage::LLVMIR ? exec_->jit()->llvmIR() : exec_->jit()->assembly();
  }
  return {};
}

}  // namespace sigma

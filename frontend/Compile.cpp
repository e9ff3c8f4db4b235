#include "frontend/Compile.h"

#include <chrono>
#include <cstring>
#include <utility>

#include "codegen/JitModule.h"
#include "frontend/TrainingGraph.h"
#include "ir/Error.h"
#include "ir/GraphPrinter.h"
#include "ir/GraphVerifier.h"
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

  graph.setName(graph.name() + "_step");
  buildTrainingStep(builder, prediction, loss, optimizer);
  verifyGraph(graph);
  pm.recordStage("autodiff", printGraph(graph), "sg", clock.lap());

  IRUnit unit;
  unit.graph = cloneGraph(graph);
  pm.run(unit, defaultPipeline());
  clock.lap();
  step.graphText_ = printGraph(unit.graph);

  step.exec_ = std::make_unique<Executable>(std::move(unit.loops), ExecutableOptions{options.backend, options.optLevel});
  if (const codegen::JitModule* jit = step.exec_->jit()) {
    const bool wantsText = !options.passes.dumpDir.empty() || options.passes.printAfterAll;
    pm.recordStage("llvm-jit", wantsText ? jit->llvmIR() : "", "ll", clock.lap());
    if (!options.passes.dumpDir.empty()) pm.recordStage("asm", jit->assembly(), "s", clock.lap());
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
  step.batch_ = x->type.shape.empty() ? 1 : x->type.shape[0];
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

StepResult TrainingStep::runInPlace() {
  exec_->f32("lr")[0] = lr_;
  exec_->run();
  StepResult r;
  r.loss = exec_->f32("loss")[0];
  r.data_loss = exec_->f32("data_loss")[0];
  for (const ParameterSpec& spec : builder_->parameterSpecs()) {
    auto get = [&](const char* stat) { return exec_->f32(spec.name + "." + stat)[0]; };
    r.weights.push_back({spec.name, get("sum"), get("abs_sum"), get("sq_sum"), get("max_abs"), get("zeros"),
                         get("grad_sq_sum")});
  }
  return r;
}

std::vector<std::string> TrainingStep::parameterNames() const {
  std::vector<std::string> names;
  for (const ParameterSpec& spec : builder_->parameterSpecs()) names.push_back(spec.name);
  return names;
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

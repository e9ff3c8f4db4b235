// sigma::compile: from a network (or a functional graph) to a native
// training step, and the TrainingStep that runs it.
//
//   auto step = sigma::compile(net, sigma::loss::mse(), sigma::optim::sgd({.lr = 0.1}), {.batch = 4});
//   sigma::StepResult r = step.run(x, y);   // loss + per-parameter weight sums
//   std::puts(step.dump(sigma::Stage::LoopIR).c_str());
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "frontend/GraphBuilder.h"
#include "frontend/Loss.h"
#include "frontend/Modules.h"
#include "frontend/Optimizer.h"
#include "passes/PassManager.h"
#include "runtime/Executable.h"

namespace sigma {

// The stages a user can look at, in pipeline order.
enum class Stage { ForwardGraph, Graph, LoopIR, LLVMIR, Assembly };
const char* stageName(Stage s);  // "forward", "graph", "loop", "llvm", "asm"

struct CompileOptions {
  int64_t batch = 1;
  int64_t inputFeatures = 0;  // 0: the network's first layer decides
  uint64_t seed = 1;          // parameter initialization
  Backend backend = Backend::JIT;
  int optLevel = 3;
  // --print-after-all, --dump-dir, --time-passes, --no-fusion, from C++.
  PassOptions passes;
};

// Σw, Σ|w|, Σw², max|w|, exact zeros and the gradient's Σg² of one parameter,
// on the weights the step used (before its update).
struct WeightStats {
  std::string name;
  float sum = 0, abs_sum = 0, sq_sum = 0, max_abs = 0, zeros = 0, grad_sq_sum = 0;
};

struct StepResult {
  float loss = 0;       // data loss + penalties
  float data_loss = 0;  // mean over the batch
  std::vector<WeightStats> weights;
};

class TrainingStep {
 public:
  // Copies one batch in, runs `steps` steps on it, returns the last step's result.
  StepResult run(std::span<const float> x, std::span<const float> target, int64_t steps = 1);
  // Runs one step on whatever the input buffers hold.
  StepResult runInPlace();

  std::string dump(Stage stage) const;
  // Every stage and pass of the compilation, with its time (--time-passes).
  const std::vector<PassTiming>& timings() const { return timings_; }
  std::string timingReport() const { return timingReport_; }

  std::vector<std::string> parameterNames() const;
  std::span<float> parameter(const std::string& name) { return exec_->f32(name); }
  float learningRate() const { return lr_; }
  void setLearningRate(float lr) { lr_ = lr; }
  int64_t batch() const { return batch_; }
  int64_t inputSize() const { return inputSize_; }
  int64_t targetSize() const { return targetSize_; }

  const Graph& graph() const { return *graph_; }
  const loop::Module& loopModule() const { return exec_->module(); }
  Executable& executable() { return *exec_; }

 private:
  friend TrainingStep compile(GraphBuilder&&, Tensor, const Loss&, const Optimizer&, const CompileOptions&);
  TrainingStep() = default;

  std::unique_ptr<GraphBuilder> builder_;
  const Graph* graph_ = nullptr;
  std::string forwardText_, graphText_;  // the forward graph; the step after graph passes
  std::unique_ptr<Executable> exec_;
  std::vector<PassTiming> timings_;
  std::string timingReport_;
  float lr_ = 0;
  int64_t batch_ = 0, inputSize_ = 0, targetSize_ = 0;
};

// From a functional graph: `prediction` is the model's output, built on
// `builder` from an input named "x".
TrainingStep compile(GraphBuilder&& builder, Tensor prediction, const Loss& loss, const Optimizer& optimizer,
                     const CompileOptions& options = {});
// From an nn module: its input is x : f32[batch, inFeatures].
TrainingStep compile(const nn::Module& net, const Loss& loss, const Optimizer& optimizer,
                     const CompileOptions& options = {});

}  // namespace sigma

// sigma::compile: from a network (or a functional graph) to a native
// training step, and the TrainingStep that runs it.
//
//   auto step = sigma::compile(net, sigma::loss::mse(), sigma::optim::sgd({.lr = 0.1}), {.batch = 4});
//   sigma::StepResult r = step.run(x, y);   // loss + per-parameter weight sums
//   std::puts(step.dump(sigma::Stage::LoopIR).c_str());
//
// A TrainingStep owns the compiled step and the host-side values of its
// scalar inputs: the learning rate, the optimizer's per-step scalars (from
// the step counter) and the regularization coefficients. Changing any of
// them takes effect at the next step, without recompiling.
#pragma once

#include <array>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "frontend/GraphBuilder.h"
#include "frontend/Loss.h"
#include "frontend/Modules.h"
#include "frontend/Optimizer.h"
#include "frontend/TrainingGraph.h"
#include "passes/AddTrainingLoop.h"
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
  // LLVM's optimization level, 0..3 (-O0..-O3; codegen/JitModule.h says
  // what each adds). Lower levels compile faster; all compute the same bits.
  int optLevel = 3;
  // Tiered compilation (--no-tiering turns it off): on an object-cache
  // miss, the step starts on O0 code, runnable in tens of milliseconds,
  // while optLevel compiles in the background; the step switches to it at
  // a step boundary when it is ready, with the same bits
  // (ExecutableOptions::tiered). --time-passes, --print-after(-all) and
  // --dump-dir compile without it, so that they show the code that finally runs.
  bool tiered = true;
  // --print-after-all, --dump-dir, --time-passes, --no-fusion, from C++.
  PassOptions passes{};
  // Regularizers by parameter group, applied after the layers' own
  // (frontend/Regularizer.h): e.g. {{"*", reg::l1(1e-5f) + reg::l2(5e-4f)}}
  // regularizes every weight matrix and no bias.
  std::vector<RegularizerRule> regularize{};
  // The weight statistics of every step (StepResult::weights). Off only to
  // measure their cost; the fused pipeline computes them in the update's pass.
  bool weightStats = true;
  // The on-disk object cache (codegen/CompileCache.h; --no-cache, --cache-dir):
  // on by default, in $SIGMA_CACHE_DIR, else $XDG_CACHE_HOME/sigma, else ~/.cache/sigma.
  codegen::CacheOptions cache{};
  // The training loop around the step (passes/AddTrainingLoop.h), which
  // fit runs one epoch per native call (TrainingStep::runLoop). Off: the
  // module is the step alone (--no-compiled-loop also keeps fit per step).
  bool trainingLoop = true;
  // Threads for the step's parallel loops (--threads; runtime/ThreadPool.h).
  // Every count gives the same bits: only loops whose iterations write
  // disjoint elements run in parallel (passes/ParallelizeLoops.h).
  int threads = 1;
  // The vector ISA the step is lowered and compiled for (ir/VectorIsa.h):
  // the host's, or AVX2 at most (also SIGMA_TARGET=avx2). The same bits.
  VectorIsa isa = VectorIsa::Host;
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

  // The compiled training loop (passes/AddTrainingLoop.h; what fit runs):
  // steps [begin, end) of `batches` in one native call, step s on the
  // samples order[s·batch() ..] of the tables at rate rates[s], with the
  // optimizer's step terms and the regularization coefficients of now.
  // The same bits as that many runInPlace() calls on those batches;
  // loopResult() has each step's results.
  struct LoopBatches {
    std::span<const float> features;  // samples × inputSize() / batch()
    std::span<const float> targets;   // samples × targetSize() / batch(): encoded (frontend/Evaluator.h)
    std::span<const int32_t> order;   // at least end × batch() sample indices
    std::span<const float> rates;     // at least end learning rates
  };
  bool hasTrainingLoop() const { return exec_->hasTrainingLoop(); }
  // Throws sigma::Error naming what does not fit (table sizes, an index
  // outside the tables, too few rates) before anything runs.
  void runLoop(const LoopBatches& batches, int64_t begin, int64_t end);
  // The result of step s of the last runLoop (begin <= s < end).
  StepResult loopResult(int64_t s) const;

  std::string dump(Stage stage) const;
  // Every stage and pass of the compilation, with its time (--time-passes).
  const std::vector<PassTiming>& timings() const { return timings_; }
  std::string timingReport() const { return timingReport_; }

  // The model's parameters, in declaration order (what WeightStats reports).
  std::vector<std::string> parameterNames() const { return info_.parameters; }
  // The optimizer's state buffers ("fc1.weight.m", ...): zero at first.
  const std::vector<std::string>& stateNames() const { return info_.state; }
  // The storage of a parameter or state buffer (any buffer of the step, by name).
  std::span<float> parameter(const std::string& name) { return exec_->f32(name); }
  std::span<const float> parameter(const std::string& name) const { return std::as_const(*exec_).f32(name); }

  float learningRate() const { return lr_; }
  void setLearningRate(float lr) { lr_ = lr; }
  // Steps run so far; Adam's bias correction uses stepCount() + 1 for the
  // next step. Restoring a checkpoint restores it.
  int64_t stepCount() const { return stepCount_; }
  void setStepCount(int64_t steps) { stepCount_ = steps; }

  // The parameters compiled with a regularizer, and their coefficients now.
  std::vector<std::string> regularizedParameters() const;
  Regularizer regularizer(const std::string& parameter) const;
  // New coefficients for a regularized parameter, from the next step on.
  // Throws if the parameter was compiled without a regularizer, or if `reg`
  // asks for the other L1 form (plain vs proximal): both need a recompile.
  void setRegularizer(const std::string& parameter, Regularizer reg);

  const Optimizer& optimizer() const { return optimizer_; }
  const Loss& loss() const { return loss_; }
  // The model's forward graph (input %x) and its prediction node: what an
  // evaluator (frontend/Evaluator.h) compiles without the training parts.
  const Graph& forwardGraph() const { return *forward_; }
  const Node* forwardPrediction() const { return forward_->nodes()[size_t(predictionId_)].get(); }
  int64_t batch() const { return batch_; }
  int64_t inputSize() const { return inputSize_; }
  int64_t targetSize() const { return targetSize_; }

  const Graph& graph() const { return *graph_; }
  const loop::Module& loopModule() const { return exec_->module(); }
  Executable& executable() { return *exec_; }
  Backend backend() const { return exec_->backend(); }
  // How the step was made runnable (backend, level, cache): an evaluator
  // compiles its forward pass the same way.
  const ExecutableOptions& executableOptions() const { return execOptions_; }

 private:
  friend TrainingStep compile(GraphBuilder&&, Tensor, const Loss&, const Optimizer&, const CompileOptions&);
  TrainingStep() = default;
  void bindBuffers();  // caches the addresses runInPlace reads and writes
  int64_t writeStepFeeds(float lr, int64_t step, float* out) const;  // the training loop's per-step inputs

  std::unique_ptr<GraphBuilder> builder_;
  const Graph* graph_ = nullptr;
  std::string forwardText_, graphText_;  // the forward graph; the step after graph passes
  std::unique_ptr<Executable> exec_;
  ExecutableOptions execOptions_;
  std::vector<PassTiming> timings_;
  std::string timingReport_;
  float lr_ = 0;
  int64_t batch_ = 0, inputSize_ = 0, targetSize_ = 0;
  int64_t stepCount_ = 0;
  Optimizer optimizer_;
  Loss loss_;
  TrainingGraphInfo info_;
  std::vector<Regularizer> regs_;  // current coefficients, one per info_.regularized
  std::unique_ptr<Graph> forward_;
  int predictionId_ = 0;

  // Buffer addresses, bound once (the arena never moves): per-step name
  // lookups would cost more than W1's whole step.
  float* lrBuffer_ = nullptr;
  std::vector<float*> scalarBuffers_;          // info_.scalarInputs
  std::vector<std::pair<float*, float*>> regBuffers_;  // P.l1, P.l2 per info_.regularized
  const float *lossBuffer_ = nullptr, *dataLossBuffer_ = nullptr;
  std::vector<std::array<const float*, 6>> statBuffers_;  // per parameter, kWeightStatNames order
  // The training loop's feeds and record (extern buffers), steps × width.
  std::vector<float> loopFeeds_, loopRecord_;
  int64_t loopFeedWidth_ = 0, loopRecordWidth_ = 0;  // the spec's (compile() sets them)
  int64_t loopBegin_ = 0, loopEnd_ = 0;
};

// The training loop the step's module gets (passes/AddTrainingLoop.h):
// gathers into x and target, feeds lr, the optimizer's step inputs and the
// regularizers' coefficients, records loss, data_loss and the statistics.
TrainingLoopSpec trainingLoopSpec(const TrainingGraphInfo& info, int64_t batch, int64_t inputSize, int64_t targetSize);

// From a functional graph: `prediction` is the model's output, built on
// `builder` from an input named "x".
TrainingStep compile(GraphBuilder&& builder, Tensor prediction, const Loss& loss, const Optimizer& optimizer,
                     const CompileOptions& options = {});
// From an nn module: its input is x : f32[batch, inFeatures].
TrainingStep compile(const nn::Module& net, const Loss& loss, const Optimizer& optimizer,
                     const CompileOptions& options = {});

}  // namespace sigma

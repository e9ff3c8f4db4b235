// The graph passes (fold-constants, simplify, cse, dce) against their
// contract: a training step optimized by them computes the same bits as the
// step without them, step after step, while having fewer nodes. The rules
// and refusals one by one are in tests/lit/passes/.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "frontend/SeedNetwork.h"
#include "frontend/TrainingGraph.h"
#include "ir/GraphParser.h"
#include "ir/GraphVerifier.h"
#include "passes/AlgebraicSimplification.h"
#include "passes/CommonSubexpressionElimination.h"
#include "passes/ConstantFolding.h"
#include "passes/DeadCodeElimination.h"
#include "passes/LowerToLoops.h"
#include "runtime/Executable.h"
#include "runtime/Rng.h"

using namespace sigma;

namespace {

// The graph passes in default-pipeline order, each followed by the verifier.
Graph optimized(const Graph& g, std::vector<std::string>* remarksOut = nullptr) {
  Graph out = cloneGraph(g);
  std::vector<std::string> remarks;
  foldConstants(out, remarks);
  verifyGraph(out);
  simplifyAlgebra(out, remarks);
  verifyGraph(out);
  eliminateCommonSubexpressions(out, remarks);
  verifyGraph(out);
  eliminateDeadCode(out, remarks);
  verifyGraph(out);
  if (remarksOut) *remarksOut = std::move(remarks);
  return out;
}

// A training step graph, built as compile() builds it but not compiled.
struct StepGraph {
  Graph graph;
  TrainingGraphInfo info;
};
StepGraph stepGraph(const nn::Module& net, int64_t batch, const Loss& loss, const Optimizer& optimizer) {
  GraphBuilder builder("model");
  Tensor x = builder.input("x", {batch, net.inFeatures()});
  TrainingGraphInfo info = buildTrainingStep(builder, net.forward(builder, x), loss, optimizer);
  verifyGraph(builder.graph());
  return {cloneGraph(builder.graph()), std::move(info)};
}

std::vector<uint32_t> bitsOf(std::span<const float> values) {
  std::vector<uint32_t> bits;
  for (float v : values) bits.push_back(std::bit_cast<uint32_t>(v));
  return bits;
}

// `step` lowered plainly (no loop passes) and made runnable, with the same
// deterministic parameters and inputs whatever graph passes ran on it.
class Runner {
 public:
  Runner(const StepGraph& reference, const Graph& g, Backend backend, const Optimizer& optimizer)
      : ref_(reference), exec_(lowerToLoops(g), {.backend = backend}), optimizer_(optimizer) {
    Rng rng(42);
    for (const Node* p : ref_.graph.parameters()) {
      bool state = std::count(ref_.info.state.begin(), ref_.info.state.end(), p->name) > 0;
      for (float& v : exec_.f32(p->name)) v = state ? 0.0f : rng.uniform(1.0);
    }
  }

  // One step on a fresh random batch (the same batch in every Runner, as
  // each draws from its own generator in the same order); returns the bits
  // of every output and parameter afterwards.
  std::vector<uint32_t> step(int64_t number) {
    std::vector<float> scalars = optimizer_.stepInputs(number);
    std::vector<std::string> scalarNames = optimizer_.scalarInputs();
    for (const Node* in : ref_.graph.inputs()) {
      std::span<float> data = exec_.f32(in->name);
      auto named = std::find(scalarNames.begin(), scalarNames.end(), in->name);
      for (float& v : data) {
        if (in->name == "x" || in->name == "target") v = batch_.uniform(1.0);
        else if (in->name == "lr") v = 0.05f;
        else if (named != scalarNames.end()) v = scalars[size_t(named - scalarNames.begin())];
        else v = 1e-3f;  // the regularization coefficients P.l1, P.l2
      }
    }
    exec_.run();
    std::vector<uint32_t> bits;
    for (const GraphOutput& o : ref_.graph.outputs()) {
      std::vector<uint32_t> b = bitsOf(std::as_const(exec_).f32(o.name));
      bits.insert(bits.end(), b.begin(), b.end());
    }
    for (const Node* p : ref_.graph.parameters()) {
      std::vector<uint32_t> b = bitsOf(std::as_const(exec_).f32(p->name));
      bits.insert(bits.end(), b.begin(), b.end());
    }
    return bits;
  }

 private:
  const StepGraph& ref_;
  Executable exec_;
  Optimizer optimizer_;
  Rng batch_{7};
};

// Trains the step with and without the graph passes and requires the same
// bits from both after every step; returns the node counts (before, after).
std::pair<size_t, size_t> expectBitIdenticalTraining(const StepGraph& step, const Optimizer& optimizer,
                                                     Backend backend, int steps) {
  Graph after = optimized(step.graph);
  Runner plain(step, step.graph, backend, optimizer), passes(step, after, backend, optimizer);
  for (int s = 1; s <= steps; ++s) {
    std::vector<uint32_t> a = plain.step(s), b = passes.step(s);
    EXPECT_EQ(a, b) << "step " << s << " differs";
    if (a != b) break;
  }
  return {step.graph.nodes().size(), after.nodes().size()};
}

}  // namespace

TEST(GraphPasses, RunInTheDefaultPipelineBeforeLowering) {
  std::vector<std::string> names;
  for (const PassInfo* p : defaultPipeline()) names.push_back(p->name);
  auto at = [&](const char* name) { return std::find(names.begin(), names.end(), name) - names.begin(); };
  ASSERT_LT(at("dce"), ptrdiff_t(names.size()));
  EXPECT_LT(at("fold-constants"), at("simplify"));
  EXPECT_LT(at("simplify"), at("cse"));
  EXPECT_LT(at("cse"), at("dce"));
  EXPECT_LT(at("dce"), at("lower-to-loops"));
}

TEST(GraphPasses, SeedStepTrainsBitIdenticallyWithFewerNodes) {
  StepGraph step = stepGraph(seedNetwork(), 4, seedLoss(), seedOptimizer());
  auto [before, after] = expectBitIdenticalTraining(step, seedOptimizer(), Backend::JIT, 200);
  EXPECT_LT(after, before);
  // The seed step repeats |w| and sign(w) (penalty and statistics) and its
  // constants: cse alone removes a dozen nodes.
  EXPECT_LE(after + 10, before) << before << " nodes before the graph passes, " << after << " after";
}

TEST(GraphPasses, SeedStepAgreesOnTheInterpreterToo) {
  StepGraph step = stepGraph(seedNetwork(), 4, seedLoss(), seedOptimizer());
  expectBitIdenticalTraining(step, seedOptimizer(), Backend::Interpreter, 20);
}

TEST(GraphPasses, LargerStepWithAdamTrainsBitIdentically) {
  Regularizer reg = reg::l1(1e-4f) + reg::l2(1e-4f);
  nn::Sequential net{nn::Linear(5, 8, init::torch_default(), reg), nn::ReLU(), nn::Linear(8, 8), nn::Sigmoid(),
                     nn::Linear(8, 3, init::torch_default(), reg)};
  Optimizer adam = optim::adam({.lr = 0.01f});
  StepGraph step = stepGraph(net, 6, loss::cross_entropy(), adam);
  auto [before, after] = expectBitIdenticalTraining(step, adam, Backend::JIT, 50);
  EXPECT_LT(after, before);
}

TEST(GraphPasses, CompileRunsThemOnTheStep) {
  CompileOptions options;
  options.batch = 4;
  TrainingStep step = compile(seedNetwork(), seedLoss(), seedOptimizer(), options);
  Graph compiled = parseGraph(step.dump(Stage::Graph));
  EXPECT_LT(compiled.nodes().size(), step.graph().nodes().size());
}

// Every simplify rule on every pairing of special values (±0, ±inf, NaN,
// ±1, a tiny and an ordinary number): the rewritten graph gives the same
// bits. This is the IEEE argument of each rule, checked.
TEST(GraphPasses, SimplifyRulesKeepIeeeBitsOnSpecialValues) {
  const std::vector<float> special = {-0.0f, 0.0f, 1.0f, -1.0f, std::numeric_limits<float>::infinity(),
                                      -std::numeric_limits<float>::infinity(),
                                      std::numeric_limits<float>::quiet_NaN(), 1e-40f, 3.5f};
  const size_t n = special.size() * special.size();
  Graph g = parseGraph(fmt::format(R"(graph @rules {{
    %x = input : f32[{0}]
    %y = input : f32[{0}]
    %one = const 1 : f32[]
    %zero = const 0 : f32[]
    %nzero = const -0 : f32[]
    %nx = neg %x : f32[{0}]
    %ny = neg %y : f32[{0}]
    %ax = abs %x : f32[{0}]
    %sx = sign %x : f32[{0}]
    %0 = mul %x, %one : f32[{0}]
    %1 = mul %one, %x : f32[{0}]
    %2 = div %x, %one : f32[{0}]
    %3 = sub %x, %zero : f32[{0}]
    %4 = add %x, %nzero : f32[{0}]
    %5 = add %nzero, %x : f32[{0}]
    %6 = sub %nzero, %x : f32[{0}]
    %7 = neg %nx : f32[{0}]
    %8 = sub %x, %ny : f32[{0}]
    %9 = add %x, %ny : f32[{0}]
    %10 = add %ny, %x : f32[{0}]
    %11 = square %nx : f32[{0}]
    %12 = abs %ax : f32[{0}]
    %13 = abs %nx : f32[{0}]
    %14 = sign %sx : f32[{0}]
    %15 = broadcast %x : f32[{0}]
    %16 = max %x : f32[{0}]
    %17 = min %x : f32[{0}]
    %18 = sum %x : f32[{0}]
    %19 = mean %x : f32[{0}]
    output %o0 = %0
    output %o1 = %1
    output %o2 = %2
    output %o3 = %3
    output %o4 = %4
    output %o5 = %5
    output %o6 = %6
    output %o7 = %7
    output %o8 = %8
    output %o9 = %9
    output %o10 = %10
    output %o11 = %11
    output %o12 = %12
    output %o13 = %13
    output %o14 = %14
    output %o15 = %15
    output %o16 = %16
    output %o17 = %17
    output %o18 = %18
    output %o19 = %19
  }})",
                                   n));
  std::vector<std::string> remarks;
  Graph simplified = cloneGraph(g);
  simplifyAlgebra(simplified, remarks);
  eliminateDeadCode(simplified, remarks);
  verifyGraph(simplified);
  // Every rule fired: no output is computed the way it was written.
  EXPECT_EQ(std::count_if(remarks.begin(), remarks.end(),
                          [](const std::string& r) { return r.rfind("simplify: ", 0) == 0; }),
            20);
  for (Backend backend : {Backend::Interpreter, Backend::JIT}) {
    Executable before(lowerToLoops(g), {.backend = backend}), after(lowerToLoops(simplified), {.backend = backend});
    for (Executable* e : {&before, &after})
      for (size_t i = 0; i < n; ++i) {
        e->f32("x")[i] = special[i / special.size()];
        e->f32("y")[i] = special[i % special.size()];
      }
    before.run(), after.run();
    for (const GraphOutput& o : g.outputs()) {
      std::span<const float> a = std::as_const(before).f32(o.name), b = std::as_const(after).f32(o.name);
      for (size_t i = 0; i < n; ++i) {
        if (std::isnan(a[i]) && std::isnan(b[i])) continue;  // NaN payloads are unspecified
        EXPECT_EQ(std::bit_cast<uint32_t>(a[i]), std::bit_cast<uint32_t>(b[i]))
            << o.name << " at x = " << special[i / special.size()] << ", y = " << special[i % special.size()]
            << ": " << a[i] << " before simplify, " << b[i] << " after";
      }
    }
  }
}

// Folding evaluates on the interpreter; the folded values must be the bits
// the JIT-compiled kernels compute, special values and every op included.
TEST(GraphPasses, FoldedConstantsAreTheBitsTheJitComputes) {
  Graph g = parseGraph(R"(graph @fold {
    %nz = input : f32[]
    %a = const [-0, 0, 1, -1, inf, -inf, nan, 0.5] : f32[8]
    %b = const [0, -0, inf, 2, nan, -inf, 1, -3] : f32[8]
    %m = const [0.5, -1.5, 2, 3, -0, 1e-30] : f32[2,3]
    %s = const 0.7 : f32[]
    %0 = neg %a : f32[8]
    %1 = abs %a : f32[8]
    %2 = sign %a : f32[8]
    %3 = square %a : f32[8]
    %4 = tanh %a : f32[8]
    %5 = exp %a : f32[8]
    %6 = log %a : f32[8]
    %7 = add %a, %b : f32[8]
    %8 = sub %a, %b : f32[8]
    %9 = mul %a, %b : f32[8]
    %10 = div %a, %b : f32[8]
    %11 = maximum %a, %b : f32[8]
    %12 = minimum %a, %b : f32[8]
    %13 = ge %a, %b : f32[8]
    %14 = mul %a, %s : f32[8]
    %15 = sum %m : f32[3]
    %16 = mean %m : f32[2,1]
    %17 = max %m : f32[]
    %18 = min %m : f32[3]
    %19 = matmul %m, %m {transpose_b} : f32[2,2]
    %20 = matmul %m, %m {transpose_a} : f32[3,3]
    %21 = transpose %m {perm=[1,0]} : f32[3,2]
    %22 = reshape %m : f32[3,2]
    %23 = broadcast %s : f32[4,3]
    %24 = tanh %s : f32[]
    %25 = exp %23 : f32[4,3]
  })");
  // Each result reaches an output through + (-0), the exact additive
  // identity, so that every output is computed by a kernel of its own.
  const size_t results = g.nodes().size();
  for (size_t i = 5; i < results; ++i) {
    Node* v = g.nodes()[i].get();
    g.addOutput(fmt::format("o{}", i), g.binary(Op::Add, v, g.find("nz")));
  }
  std::vector<std::string> remarks;
  Graph folded = cloneGraph(g);
  foldConstants(folded, remarks);
  verifyGraph(folded);
  for (const auto& node : folded.nodes())
    if (node->op != Op::Add && node->op != Op::Input) {
      EXPECT_EQ(node->op, Op::Constant) << opName(node->op);
    }
  Executable before(lowerToLoops(g), {.backend = Backend::JIT}), after(lowerToLoops(folded), {.backend = Backend::JIT});
  before.f32("nz")[0] = after.f32("nz")[0] = -0.0f;
  before.run(), after.run();
  // NaN is compared as NaN: its sign and payload are unspecified (LLVM
  // itself gives inf - inf as +nan where x86 hardware gives -nan).
  auto canonical = [](std::span<const float> values) {
    std::vector<uint32_t> bits = bitsOf(values);
    for (size_t i = 0; i < values.size(); ++i)
      if (std::isnan(values[i])) bits[i] = 0x7fc00000u;
    return bits;
  };
  for (const GraphOutput& o : g.outputs())
    EXPECT_EQ(canonical(std::as_const(before).f32(o.name)), canonical(std::as_const(after).f32(o.name))) << o.name;
}

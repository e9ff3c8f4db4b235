// Fusion changes how a step runs, never what it computes: fused and unfused
// pipelines agree bit for bit, and the weight-sum fusion leaves exactly one
// pass over every weight buffer.
#include <gtest/gtest.h>

#include <cmath>

#include "frontend/SeedNetwork.h"
#include "frontend/TrainingGraph.h"
#include "ir/Error.h"
#include "ir/LoopVerifier.h"
#include "passes/LoopAnalysis.h"
#include "passes/LowerToLoops.h"
#include "passes/PassManager.h"
#include "runtime/Executable.h"
#include "runtime/Rng.h"

using namespace sigma;

namespace {

TrainingStep compileSeed(bool fusion, Backend backend = Backend::JIT) {
  CompileOptions o{.batch = 4, .backend = backend};
  o.passes.noFusion = !fusion;
  return compile(seedNetwork(), seedLoss(), seedOptimizer(), o);
}

void expectSameResults(const StepResult& a, const StepResult& b, int step) {
  ASSERT_EQ(a.loss, b.loss) << "step " << step;
  ASSERT_EQ(a.data_loss, b.data_loss) << "step " << step;
  for (size_t i = 0; i < a.weights.size(); ++i) {
    const WeightStats &x = a.weights[i], &y = b.weights[i];
    ASSERT_EQ(x.sum, y.sum) << x.name << " step " << step;
    ASSERT_EQ(x.abs_sum, y.abs_sum) << x.name;
    ASSERT_EQ(x.sq_sum, y.sq_sum) << x.name;
    ASSERT_EQ(x.max_abs, y.max_abs) << x.name;
    ASSERT_EQ(x.zeros, y.zeros) << x.name;
    ASSERT_EQ(x.grad_sq_sum, y.grad_sq_sum) << x.name;
  }
}

}  // namespace

TEST(Fusion, FusedAndUnfusedSeedTrainingAgreeBitForBit) {
  TrainingStep fused = compileSeed(true), unfused = compileSeed(false);
  EXPECT_LT(fused.loopModule().kernels.size(), unfused.loopModule().kernels.size() / 4);
  XorBatch b;
  for (int s = 0; s < 300; ++s) expectSameResults(fused.run(b.x, b.y), unfused.run(b.x, b.y), s);
}

TEST(Fusion, FusedStepOnTheInterpreterAgreesWithTheJit) {
  TrainingStep jit = compileSeed(true), ref = compileSeed(true, Backend::Interpreter);
  XorBatch b;
  for (int s = 0; s < 50; ++s) expectSameResults(jit.run(b.x, b.y), ref.run(b.x, b.y), s);
}

// The promise of fused weight-sum regularization, checked on the loop IR:
// one kernel, with one loop nest, writes each parameter, and that same
// kernel produces all of the parameter's statistics: penalties, statistics
// and update add no pass over the weight beyond the update itself.
TEST(Fusion, EveryWeightIsUpdatedAndSummedInOnePass) {
  TrainingStep step = compileSeed(true);
  const loop::Module& m = step.loopModule();
  for (const std::string& w : step.parameterNames()) {
    SCOPED_TRACE(w);
    std::vector<std::string> writers;
    for (const loop::Kernel& k : m.kernels) {
      std::set<std::string> writes = buffersWritten(k);
      bool writesStats = false;
      for (const char* stat : kWeightStatNames) writesStats |= writes.count(w + "." + stat) > 0;
      if (writes.count(w) || writesStats) writers.push_back(k.name);
      if (!writes.count(w)) continue;
      int nests = 0;
      for (const loop::Stmt& s : topLevelStatements(k.body)) nests += !perfectNest(s).vars.empty();
      EXPECT_EQ(nests, 1) << k.name;
    }
    EXPECT_EQ(writers, std::vector<std::string>{"weight_update_" + w});
  }
}

// Random small graphs of elementwise ops, broadcasts, reductions and
// matmuls: the default pipeline and the plain lowering compute the same bits.
TEST(Fusion, RandomGraphsAgreeWithAndWithoutFusion) {
  Rng rng(2024);
  const Op unary[] = {Op::Neg, Op::Abs, Op::Sign, Op::Square, Op::Tanh};
  const Op binary[] = {Op::Add, Op::Sub, Op::Mul};
  for (int trial = 0; trial < 40; ++trial) {
    SCOPED_TRACE(trial);
    Graph g("random");
    std::vector<Node*> pool{g.input("a", {DType::F32, {3, 4}}), g.parameter("p", {DType::F32, {3, 4}}),
                            g.input("r", {DType::F32, {4}}), g.parameter("q", {DType::F32, {4, 2}})};
    for (int i = 0; i < 12; ++i) {
      Node* x = pool[rng.below(pool.size())];
      switch (rng.below(5)) {
        case 0: pool.push_back(g.unary(unary[rng.below(5)], x)); break;
        case 1: {
          Node* y = pool[rng.below(pool.size())];
          Shape s;
          if (broadcastShapes(x->type.shape, y->type.shape, s)) pool.push_back(g.binary(binary[rng.below(3)], x, y));
          break;
        }
        case 2:
          if (x->type.rank() == 2) pool.push_back(g.reduce(rng.below(2) ? Op::Sum : Op::Max, x, {x->type.shape[1]}));
          break;
        case 3:
          if (x->type.shape == Shape{3, 4}) pool.push_back(g.matmul(x, pool[3]));
          break;
        default:
          if (x->type.rank() == 1 && x->type.shape[0] == 4) pool.push_back(g.broadcast(x, {3, 4}));
      }
    }
    int outputs = 0;
    for (size_t i = 4; i < pool.size(); ++i)
      if (rng.below(3) == 0 || i + 1 == pool.size()) g.addOutput("out" + std::to_string(outputs++), pool[i]);
    g.addUpdate(pool[1], g.binary(Op::Sub, pool[1], g.unary(Op::Tanh, pool[1])));

    IRUnit fused;
    fused.graph = cloneGraph(g);
    PassManager().run(fused, defaultPipeline());
    Executable a(std::move(fused.loops), {Backend::Interpreter}), b(lowerToLoops(g), {Backend::Interpreter});
    for (const char* in : {"a", "p", "r", "q"}) {
      Rng fill(7);
      for (float& v : a.f32(in)) v = fill.uniform(2.0);
      Rng fill2(7);
      for (float& v : b.f32(in)) v = fill2.uniform(2.0);
    }
    for (int run = 0; run < 2; ++run) {
      a.run(), b.run();
      for (int o = 0; o < outputs; ++o) {
        std::span<const float> x = a.f32("out" + std::to_string(o)), y = b.f32("out" + std::to_string(o));
        for (size_t i = 0; i < x.size(); ++i) {
          bool same = x[i] == y[i] || (std::isnan(x[i]) && std::isnan(y[i]));
          ASSERT_TRUE(same) << "out" << o << "[" << i << "]: " << x[i] << " vs " << y[i];
        }
      }
      std::span<const float> pa = a.f32("p"), pb = b.f32("p");
      for (size_t i = 0; i < pa.size(); ++i) ASSERT_EQ(pa[i], pb[i]) << "updated p[" << i << "]";
    }
  }
}

TEST(MemoryPlan, TemporariesShareTheArenaWithoutOverlappingUses) {
  TrainingStep step = compileSeed(true);
  const loop::Module& m = step.loopModule();
  int64_t planned = 0;
  for (const loop::Buffer& b : m.buffers) planned += b.offset >= 0;
  EXPECT_GT(planned, 0);
  EXPECT_GT(m.tempArenaBytes(), 0);
  // The verifier (run after every pass) rejects two placed buffers sharing
  // bytes within one kernel; check a hand-made violation is caught.
  loop::Module bad = m;
  for (loop::Buffer& b : bad.buffers)
    if (b.offset >= 0) b.offset = 0;
  EXPECT_THROW(verifyModule(bad), Error);
}

// W2's network (784-512-256-10, ReLU, cross-entropy, L1 1e-5 + L2 5e-4 on
// the weights), at a small batch so the unfused step stays quick to run.
namespace {
TrainingStep compileW2(bool fusion, int64_t batch) {
  Regularizer reg = reg::l1(1e-5f) + reg::l2(5e-4f);
  nn::Sequential net{nn::Linear(784, 512, init::torch_default(), reg), nn::ReLU(),
                     nn::Linear(512, 256, init::torch_default(), reg), nn::ReLU(),
                     nn::Linear(256, 10, init::torch_default(), reg)};
  CompileOptions o{.batch = batch};
  o.passes.noFusion = !fusion;
  return compile(net, loss::cross_entropy(), optim::sgd({.lr = 0.01f}), o);
}
}  // namespace

TEST(Fusion, W2FusedAndUnfusedAgreeBitForBit) {
  TrainingStep fused = compileW2(true, 8), unfused = compileW2(false, 8);
  Rng rng(5);
  std::vector<float> x(8 * 784), y(8 * 10, 0.0f);
  for (float& v : x) v = float(rng.unit());
  for (int i = 0; i < 8; ++i) y[i * 10 + rng.below(10)] = 1.0f;
  for (int s = 0; s < 3; ++s) expectSameResults(fused.run(x, y), unfused.run(x, y), s);
}

// With and without L1 + L2 + the statistics, W2's fused step has the same
// kernels, the same number of loop nests over each weight (so no extra pass
// over any weight buffer) and the same number of weight-sized temporaries
// (so no extra pass over memory to hold the regularized gradient).
namespace {
TrainingStep compileW2Plain(int64_t batch) {
  nn::Sequential net{nn::Linear(784, 512, init::torch_default()), nn::ReLU(),
                     nn::Linear(512, 256, init::torch_default()), nn::ReLU(),
                     nn::Linear(256, 10, init::torch_default())};
  CompileOptions o{.batch = batch};
  o.weightStats = false;
  return compile(net, loss::cross_entropy(), optim::sgd({.lr = 0.01f}), o);
}
int nestsTouching(const loop::Module& m, const std::string& buffer) {
  int n = 0;
  for (const loop::Kernel& k : m.kernels)
    for (const loop::Stmt& s : topLevelStatements(k.body))
      if (!perfectNest(s).vars.empty() && (buffersRead(s).count(buffer) || buffersWritten(s).count(buffer))) ++n;
  return n;
}
int tempsOfSize(const loop::Module& m, int64_t size) {
  int n = 0;
  for (const loop::Buffer& b : m.buffers) n += b.kind == loop::BufferKind::Temp && b.size == size;
  return n;
}
}  // namespace

TEST(Fusion, W2RegularizationAndStatisticsAddNoPassOverAnyWeight) {
  TrainingStep step = compileW2(true, 128), plainStep = compileW2Plain(128);
  const loop::Module& m = step.loopModule();
  const loop::Module& plain = plainStep.loopModule();
  auto names = [](const loop::Module& mod) {
    std::string s;
    for (const loop::Kernel& k : mod.kernels) s += " @" + k.name;
    return s;
  };
  EXPECT_EQ(m.kernels.size(), plain.kernels.size()) << "L1 + L2 + statistics must add no kernel:" << names(m) << "\nwithout them:" << names(plain);
  for (const std::string& w : step.parameterNames()) {
    SCOPED_TRACE(w);
    int writers = 0, updateNests = 0;
    for (const loop::Kernel& k : m.kernels) {
      std::set<std::string> writes = buffersWritten(k);
      bool writesStats = false;
      for (const char* stat : kWeightStatNames) writesStats |= writes.count(w + "." + stat) > 0;
      if (!writes.count(w) && !writesStats) continue;
      ++writers;
      EXPECT_EQ(k.name, "weight_update_" + w);
      for (const loop::Stmt& s : topLevelStatements(k.body))
        updateNests += !perfectNest(s).vars.empty() && (buffersRead(s).count(w) || buffersWritten(s).count(w));
    }
    EXPECT_EQ(writers, 1);
    EXPECT_EQ(updateNests, 1) << "penalties, statistics and the update must share the update's one pass";
    EXPECT_EQ(nestsTouching(m, w), nestsTouching(plain, w));
    // (Biases have 10 to 512 elements: temporaries that large are everywhere.)
    const int64_t size = m.findBuffer(w)->size;
    if (size >= 2560)
      EXPECT_EQ(tempsOfSize(m, size), tempsOfSize(plain, size)) << "a weight-sized temporary is an extra pass";
  }
}

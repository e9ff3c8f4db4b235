// The seed network end to end: the C++ API, the training-step graph, the
// JIT against the interpreter, and XOR convergence.
#include <gtest/gtest.h>

#include "frontend/SeedNetwork.h"
#include "ir/GraphParser.h"
#include "ir/GraphPrinter.h"

using namespace sigma;

TEST(SeedNetwork, TrainsXorBelowOneHundredthWithin5000Steps) {
  TrainingStep step = compile(seedNetwork(), seedLoss(), seedOptimizer(), {.batch = 4});
  XorBatch b;
  StepResult r;
  int steps = 0;
  for (; steps < 5000 && (steps == 0 || r.loss >= 0.01f); ++steps) r = step.run(b.x, b.y);
  EXPECT_LT(r.loss, 0.01f) << "after " << steps << " steps";
  ASSERT_EQ(r.weights.size(), 4u);
  EXPECT_EQ(r.weights[0].name, "fc1.weight");
  EXPECT_GT(r.weights[0].abs_sum, 0.0f);
}

TEST(SeedNetwork, JitAndInterpreterAgreeBitForBit) {
  TrainingStep jit = compile(seedNetwork(), seedLoss(), seedOptimizer(), {.batch = 4});
  TrainingStep ref = compile(seedNetwork(), seedLoss(), seedOptimizer(), {.batch = 4, .backend = Backend::Interpreter});
  XorBatch b;
  for (int s = 0; s < 50; ++s) {
    StepResult a = jit.run(b.x, b.y), c = ref.run(b.x, b.y);
    ASSERT_EQ(a.loss, c.loss) << "step " << s;
    for (size_t i = 0; i < a.weights.size(); ++i) {
      EXPECT_EQ(a.weights[i].sum, c.weights[i].sum);
      EXPECT_EQ(a.weights[i].sq_sum, c.weights[i].sq_sum);
      EXPECT_EQ(a.weights[i].grad_sq_sum, c.weights[i].grad_sq_sum);
    }
  }
}

// The peers in ../shared/peers initialize W1 like PyTorch from splitmix64
// seed 1 (weight then bias, layer by layer) and print a check line after
// 1000 steps. Sigma, given the same initialization, must land on the same
// numbers: this pins the semantics of BRIEF §2 (penalties on the pre-update
// weights, L2 as λΣw², sign(0) = 0).
TEST(SeedNetwork, MatchesTheHandWrittenPeerAfter1000Steps) {
  Regularizer reg = reg::l1(1e-4f) + reg::l2(1e-4f);
  nn::Sequential net{nn::Linear(2, 3, init::torch_default(), reg), nn::Tanh(),
                     nn::Linear(3, 1, init::torch_default(), reg)};
  TrainingStep step = compile(net, seedLoss(), seedOptimizer(), {.batch = 4, .seed = 1});
  XorBatch b;
  StepResult r = step.run(b.x, b.y, 1000);
  EXPECT_NEAR(r.loss, 0.002421411, 2e-8);
  // The peer's sums are of the weights after step 1000: the ones step 1001 uses.
  StepResult next = step.run(b.x, b.y);
  float sum = next.weights[0].sum + next.weights[2].sum;
  float abs = next.weights[0].abs_sum + next.weights[2].abs_sum;
  float sq = next.weights[0].sq_sum + next.weights[2].sq_sum;
  EXPECT_NEAR(sum, 4.368492, 2e-5);
  EXPECT_NEAR(abs, 10.23992, 2e-5);
  EXPECT_NEAR(sq, 13.94695, 2e-5);
}

TEST(SeedNetwork, TrainingGraphTextParsesBackToTheSameGraph) {
  TrainingStep step = compile(seedNetwork(), seedLoss(), seedOptimizer(), {.batch = 4});
  std::string text = step.dump(Stage::Graph);
  EXPECT_EQ(printGraph(parseGraph(text)), text);
  EXPECT_NE(text.find("update %fc1.weight"), std::string::npos);
}

TEST(SeedNetwork, EveryStageCanBePrinted) {
  TrainingStep step = compile(seedNetwork(), seedLoss(), seedOptimizer(), {.batch = 4});
  EXPECT_NE(step.dump(Stage::ForwardGraph).find("tanh"), std::string::npos);
  EXPECT_NE(step.dump(Stage::LoopIR).find("kernel @matmul_"), std::string::npos);
  EXPECT_NE(step.dump(Stage::LLVMIR).find("define"), std::string::npos);
  EXPECT_NE(step.dump(Stage::Assembly).find("sigma_step"), std::string::npos);
}

// The new activations and losses through the whole pipeline: compile() with
// its default graph and loop passes (fusion included), the JIT against the
// interpreter, fused against unfused, and a classifier that learns.
#include <gtest/gtest.h>

#include <cmath>

#include "frontend/Compile.h"

using namespace sigma;

namespace {
// Three well-separated classes in 4-D: class c has feature c large. Targets
// are one-hot rows, as the data pipeline encodes integer labels.
constexpr int64_t kBatch = 6, kIn = 4, kClasses = 3;
const std::vector<float> kX = {2, 0, 0, 1,  0, 2, 0, 1,  0, 0, 2, 1,  1.5f, 0.2f, 0, 0,  0, 1.8f, 0.1f, 0,  0.3f, 0, 1.7f, 0};
const std::vector<float> kOneHot = {1, 0, 0,  0, 1, 0,  0, 0, 1,  1, 0, 0,  0, 1, 0,  0, 0, 1};

nn::Sequential classifier() {
  return {nn::Linear(kIn, 8), nn::ReLU(), nn::Linear(8, 8), nn::GELU(), nn::Linear(8, kClasses)};
}

TrainingStep compileWith(const Loss& loss, Backend backend, bool noFusion) {
  CompileOptions options;
  options.batch = kBatch, options.backend = backend;
  options.passes.noFusion = noFusion;
  options.regularize = {{"*", reg::l1(1e-5f) + reg::l2(1e-4f)}};
  return compile(classifier(), loss, optim::momentum({.lr = 0.1f, .momentum = 0.9f}), options);
}
}  // namespace

TEST(ClassifierStep, CrossEntropyLearnsAndAllPipelinesAgree) {
  TrainingStep jit = compileWith(loss::cross_entropy(), Backend::JIT, false);
  TrainingStep ref = compileWith(loss::cross_entropy(), Backend::Interpreter, false);
  TrainingStep unfused = compileWith(loss::cross_entropy(), Backend::JIT, true);
  StepResult a, b, c;
  for (int step = 0; step < 20; ++step) {
    a = jit.run(kX, kOneHot), b = ref.run(kX, kOneHot), c = unfused.run(kX, kOneHot);
    if (step == 0) {
      EXPECT_NEAR(a.data_loss, std::log(3.0f), 0.5f);  // near-uniform predictions at first
    }
    // Same steps, same numbers, whichever way the step was compiled.
    EXPECT_EQ(a.data_loss, b.data_loss) << "jit vs interpreter at step " << step;
    EXPECT_NEAR(a.data_loss, c.data_loss, 1e-5f * (1 + std::fabs(a.data_loss))) << "fused vs unfused at step " << step;
  }
  for (int step = 0; step < 200; ++step) a = jit.run(kX, kOneHot);
  EXPECT_LT(a.data_loss, 0.05f) << "the classifier should separate three well-separated classes";
  EXPECT_TRUE(std::isfinite(a.loss));
}

TEST(ClassifierStep, BceWithLogitsLearns) {
  // One logit per class, each a binary problem (multi-label form).
  TrainingStep step = compileWith(loss::bce_with_logits(), Backend::JIT, false);
  float first = step.run(kX, kOneHot).data_loss;
  StepResult last;
  for (int i = 0; i < 300; ++i) last = step.run(kX, kOneHot);
  EXPECT_LT(last.data_loss, first * 0.2f);
}

namespace {
// An embedding model: prediction = tanh(emb[idx] · Wᵀ + x), so the step
// holds gather forward and scatter_add backward, both through fusion.
TrainingStep embeddingStep(Backend backend, bool noFusion) {
  GraphBuilder b("embedding");
  Tensor x = b.input("x", {kBatch, 2});
  Tensor idx = b.input("idx", {kBatch}, DType::I32);
  Tensor emb = b.parameter("emb", {5, 3}, init::xavier_uniform());
  Tensor w = b.parameter("w", {2, 3}, init::xavier_uniform());
  Tensor y = tanh(matmul(gather(emb, idx), w, false, true) + x);
  CompileOptions options;
  options.batch = kBatch, options.backend = backend;
  options.passes.noFusion = noFusion;
  TrainingStep step = compile(std::move(b), y, loss::mse(), optim::sgd({.lr = 0.5f}), options);
  std::span<int32_t> ids = step.executable().i32("idx");
  const int32_t rows[kBatch] = {0, 3, 3, 1, 4, 0};
  std::copy(rows, rows + kBatch, ids.begin());
  return step;
}
}  // namespace

TEST(ClassifierStep, EmbeddingGatherTrainsThroughEveryPipeline) {
  TrainingStep jit = embeddingStep(Backend::JIT, false), ref = embeddingStep(Backend::Interpreter, false),
               unfused = embeddingStep(Backend::JIT, true);
  const std::vector<float> x(kBatch * 2, 0.1f), target = {0.5f, -0.5f, 0.2f, 0.3f, 0.2f, 0.3f,
                                                          -0.4f, 0.1f, 0.6f, 0.6f, 0.5f, -0.5f};
  std::span<const float> emb = std::as_const(jit).parameter("emb");
  const std::vector<float> row0(emb.begin(), emb.begin() + 3), row2(emb.begin() + 6, emb.begin() + 9);
  StepResult first = jit.run(x, target), a;
  ref.run(x, target), unfused.run(x, target);
  for (int step = 0; step < 30; ++step) {
    a = jit.run(x, target);
    StepResult b = ref.run(x, target), c = unfused.run(x, target);
    EXPECT_EQ(a.data_loss, b.data_loss) << "jit vs interpreter at step " << step;
    EXPECT_NEAR(a.data_loss, c.data_loss, 1e-5f * (1 + std::fabs(a.data_loss))) << "fused vs unfused at step " << step;
  }
  EXPECT_LT(a.data_loss, first.data_loss * 0.5f);
  // Row 2 of the table is never gathered: its gradient is zero and SGD
  // leaves it as initialized, while the gathered rows moved.
  EXPECT_EQ(std::vector<float>(emb.begin() + 6, emb.begin() + 9), row2);
  EXPECT_NE(std::vector<float>(emb.begin(), emb.begin() + 3), row0);
}

// Stopping at the first NaN or Inf (FitOptions::stopOnNonFinite, on by
// default): the error names the step and the tensor, read off the weight
// statistics of the step; a checkpoint of non-finite weights is never
// written, so the last good one still resumes. Off, training goes on.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "frontend/NonFiniteCheck.h"
#include "frontend/Trainer.h"
#include "frontend/TrainingState.h"
#include "runtime/Checkpoint.h"
#include "TrainTestSupport.h"

using namespace sigma;
using namespace sigma::traintest;

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

TrainingStep blobStep(float lr = 0.05f) {
  nn::Sequential net{nn::Linear(2, 16), nn::ReLU(), nn::Linear(16, 3)};
  return compile(net, loss::cross_entropy(), optim::momentum({.lr = lr, .momentum = 0.9f}),
                 {.batch = 16, .seed = 3, .regularize = {{"*", reg::l1(1e-4f) + reg::l2(1e-3f)}}});
}

}  // namespace

TEST(NonFinite, FindsTheTensorInTheStepStatistics) {
  StepResult r{.loss = 1.0f, .data_loss = 1.0f, .weights = {{.name = "fc1.weight", .abs_sum = 2.0f, .sq_sum = 1.0f},
                                                             {.name = "fc1.bias", .abs_sum = 1.0f, .sq_sum = 1.0f}}};
  EXPECT_FALSE(findNonFinite(r));
  r.weights[1].grad_sq_sum = kInf;
  EXPECT_EQ(findNonFinite(r).value_or(""), "the gradient of fc1.bias (Σg² = inf)");
  r.weights[1].abs_sum = kNaN;  // a parameter the step used comes before any gradient
  EXPECT_EQ(findNonFinite(r).value_or(""), "the parameter fc1.bias (Σ|w| = nan)");
  StepResult lossOnly{.loss = -kInf};
  EXPECT_EQ(findNonFinite(lossOnly).value_or(""), "the loss (-inf)");
  const float values[] = {1.0f, 2.0f, kNaN};
  EXPECT_EQ(findNonFiniteElement("w", values).value_or(""), "w[2] = nan");
  EXPECT_FALSE(findNonFiniteElement("w", std::span<const float>(values, 2)));
}

TEST(NonFinite, ANanWeightStopsTrainingAtTheFirstStepNamingTheTensor) {
  TrainingStep step = blobStep();
  step.parameter("fc2.weight")[5] = kNaN;
  Dataset data = blobs(64, 1);
  std::string error = errorOf([&] { fit(step, data, nullptr, {.epochs = 2, .progress = ProgressMode::Off}); });
  EXPECT_NE(error.find("training stopped at step 1 (epoch 1"), std::string::npos) << error;
  EXPECT_NE(error.find("the parameter fc2.weight (Σ|w| = nan) is not finite"), std::string::npos) << error;
  EXPECT_EQ(step.stepCount(), 1);
}

TEST(NonFinite, ADivergingRunStopsWhereItsGradientOverflows) {
  TrainingStep step = blobStep(1e30f);  // absurd: the weights blow up within a few steps
  Dataset data = blobs(256, 2);
  std::string error = errorOf([&] { fit(step, data, nullptr, {.epochs = 5, .progress = ProgressMode::Off}); });
  EXPECT_NE(error.find("training stopped at step "), std::string::npos) << error;
  EXPECT_NE(error.find("is not finite"), std::string::npos) << error;
  // Every step before the one named was finite.
  EXPECT_GT(step.stepCount(), 1);
}

TEST(NonFinite, OffTrainingGoesOnThroughNan) {
  TrainingStep step = blobStep();
  step.parameter("fc1.bias")[0] = kNaN;
  Dataset data = blobs(64, 1);
  FitHistory h = fit(step, data, nullptr, {.epochs = 2, .progress = ProgressMode::Off, .stopOnNonFinite = false});
  ASSERT_EQ(h.epochs.size(), 2u);
  EXPECT_TRUE(std::isnan(h.epochs.back().loss));
}

TEST(NonFinite, ACheckpointOfNanWeightsIsNotWrittenAndTheLastGoodOneResumes) {
  TempDir dir;
  TrainingStep step = blobStep();
  Dataset data = blobs(64, 1);
  FitOptions options{.epochs = 3, .outDir = dir.path(), .progress = ProgressMode::Off};
  // After epoch 2's steps (before its checkpoint) a weight goes bad.
  options.onEpoch = [&](const EpochResult& e) {
    if (e.epoch == 2) step.parameter("fc1.weight")[3] = kInf;
  };
  std::string error = errorOf([&] { fit(step, data, nullptr, options); });
  EXPECT_NE(error.find("the checkpoint of epoch 2 was not written: fc1.weight[3] = inf is not finite"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("holds the last good state (epoch 1)"), std::string::npos) << error;

  TrainingStep resumed = blobStep();
  FitOptions again{.epochs = 1, .outDir = dir.path(), .resume = true, .progress = ProgressMode::Off};
  TrainingProgress saved = resumeTrainingState(resumed, again);
  EXPECT_EQ(saved.epoch, 1);
  for (float v : std::as_const(resumed).parameter("fc1.weight")) EXPECT_TRUE(std::isfinite(v));
}

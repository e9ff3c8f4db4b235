// Learning-rate schedules: their factors at known points, and the command
// line's forms with their errors.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "frontend/Schedule.h"
#include "ir/Error.h"

using namespace sigma;

TEST(Schedule, ConstantKeepsTheBaseRate) {
  Schedule s = schedule::constant();
  EXPECT_EQ(s.factor(0), 1);
  EXPECT_EQ(s.rate(0.01f, 7, 3, 10), 0.01f);
}

TEST(Schedule, StepDropsByGammaEveryNEpochs) {
  Schedule s = schedule::step(2, 0.5);
  EXPECT_EQ(s.factor(0), 1);
  EXPECT_EQ(s.factor(1.99), 1);
  EXPECT_EQ(s.factor(2), 0.5);
  EXPECT_EQ(s.factor(4.5), 0.25);
  EXPECT_EQ(s.rate(0.1f, 3, 0, 100), 0.05f);
}

TEST(Schedule, CosineGoesSmoothlyFromTheBaseToTheMinimum) {
  Schedule s = schedule::cosine(10);
  EXPECT_DOUBLE_EQ(s.factor(0), 1);
  EXPECT_NEAR(s.factor(5), 0.5, 1e-15);
  EXPECT_NEAR(s.factor(10), 0, 1e-15);
  EXPECT_NEAR(s.factor(12), 0, 1e-15);  // stays at the minimum after T epochs
  EXPECT_NEAR(s.factor(2.5), 0.5 * (1 + std::cos(std::numbers::pi / 4)), 1e-15);
  // Within an epoch the rate moves step by step: epoch 2, step 50 of 100 is progress 2.5.
  EXPECT_FLOAT_EQ(s.rate(1.0f, 2, 50, 100), float(s.factor(2.5)));
  Schedule floor = schedule::cosine(10, 0.1);
  EXPECT_NEAR(floor.factor(10), 0.1, 1e-15);
  EXPECT_NEAR(floor.factor(5), 0.55, 1e-15);
}

TEST(Schedule, ParsesTheCommandLineForms) {
  EXPECT_EQ(parseSchedule("constant", 5).kind, Schedule::Kind::Constant);
  Schedule step = parseSchedule("step:3:0.5", 5);
  EXPECT_EQ(step.kind, Schedule::Kind::Step);
  EXPECT_EQ(step.everyEpochs, 3);
  EXPECT_EQ(step.gamma, 0.5);
  EXPECT_EQ(parseSchedule("step:2", 5).gamma, 0.1);
  Schedule cos = parseSchedule("cosine:0.1", 8);
  EXPECT_EQ(cos.totalEpochs, 8);
  EXPECT_EQ(cos.minFactor, 0.1);
  EXPECT_EQ(cos.str(), "cosine(epochs=8, min=0.1)");
}

TEST(Schedule, BadFormsNameTheProblem) {
  auto message = [](const std::string& text) {
    try {
      parseSchedule(text, 5);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message("linear"), "schedule 'linear': expected constant, step:N[:GAMMA] or cosine[:MIN]");
  EXPECT_EQ(message("step"), "schedule 'step': expected constant, step:N[:GAMMA] or cosine[:MIN]");
  EXPECT_EQ(message("step:x"), "schedule 'step:x': N (epochs between drops) must be a number, got 'x'");
  EXPECT_EQ(message("step:0"), "schedule 'step:0': N must be positive");
  EXPECT_EQ(message("cosine:2"), "schedule 'cosine:2': MIN is a fraction of the base rate, in [0, 1]");
}

// Each optimizer, and each regularizer form, against its textbook formula:
// a toy step whose data gradient is known in closed form runs a few steps,
// and the test recomputes every step in double from the same initial
// weights, then compares with the step's floats.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "frontend/Compile.h"
#include "ir/Error.h"

using namespace sigma;

namespace {

// prediction = x + w + b (b broadcast over rows), mse against t over 4
// elements: d/dp = 2(p − t)/4, so dw = d/dp and db_j = Σ_i d/dp_ij.
const float kX[] = {0.5f, -1.0f, 2.0f, 0.25f};
const float kT[] = {1.0f, -0.5f, 0.3f, 2.0f};

TrainingStep toyStep(const Optimizer& opt, Regularizer reg = {}, std::vector<RegularizerRule> rules = {}) {
  GraphBuilder b("toy");
  Tensor x = b.input("x", {2, 2});
  Tensor w = b.parameter("w", {2, 2}, init::uniform(1.0f), reg);
  Tensor bias = b.parameter("b", {2}, init::uniform(1.0f));
  return compile(std::move(b), x + w + bias, loss::mse(), opt, {.batch = 2, .seed = 7, .regularize = rules});
}

std::vector<double> read(TrainingStep& step, const char* name) {
  std::span<float> s = step.parameter(name);
  return {s.begin(), s.end()};
}

struct Grads {
  std::vector<double> w, b;
};
Grads dataGradient(const std::vector<double>& w, const std::vector<double>& b) {
  Grads g{std::vector<double>(4), std::vector<double>(2, 0.0)};
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j) {
      int k = i * 2 + j;
      g.w[k] = 2 * (double(kX[k]) + w[k] + b[j] - kT[k]) / 4;
      g.b[j] += g.w[k];
    }
  return g;
}

// The textbook update of one tensor, in double, with its own state.
struct Reference {
  Optimizer opt;
  bool isMatrix;
  std::vector<double> m, v;

  void step(std::vector<double>& w, const std::vector<double>& g, int64_t t, double lr) {
    if (m.empty()) m.assign(w.size(), 0), v.assign(w.size(), 0);
    const double mu = opt.momentum, b1 = opt.beta1, b2 = opt.beta2, eps = opt.eps;
    for (size_t i = 0; i < w.size(); ++i) {
      switch (opt.kind) {
        case Optimizer::Kind::SGD: w[i] -= lr * g[i]; break;
        case Optimizer::Kind::Momentum:
          m[i] = mu * m[i] + g[i];
          w[i] -= lr * m[i];
          break;
        case Optimizer::Kind::Nesterov:
          m[i] = mu * m[i] + g[i];
          w[i] -= lr * (g[i] + mu * m[i]);
          break;
        case Optimizer::Kind::Adam:
        case Optimizer::Kind::AdamW: {
          m[i] = b1 * m[i] + (1 - b1) * g[i];
          v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
          double mHat = m[i] / (1 - std::pow(b1, double(t))), vHat = v[i] / (1 - std::pow(b2, double(t)));
          double decay = opt.kind == Optimizer::Kind::AdamW && isMatrix ? lr * opt.weightDecay * w[i] : 0;
          w[i] -= decay + lr * mHat / (std::sqrt(vHat) + eps);
          break;
        }
      }
    }
  }
};

void expectNear(const std::vector<double>& expected, TrainingStep& step, const char* name, int stepNo) {
  std::vector<double> got = read(step, name);
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], expected[i], 2e-6 * (1 + std::abs(expected[i]))) << name << "[" << i << "] after step "
                                                                          << stepNo;
}

void checkOptimizer(const Optimizer& opt) {
  TrainingStep step = toyStep(opt);
  std::vector<double> w = read(step, "w"), b = read(step, "b");
  Reference rw{opt, true, {}, {}}, rb{opt, false, {}, {}};
  for (int s = 1; s <= 5; ++s) {
    Grads g = dataGradient(w, b);
    step.run(kX, kT);
    rw.step(w, g.w, s, opt.lr);
    rb.step(b, g.b, s, opt.lr);
    expectNear(w, step, "w", s);
    expectNear(b, step, "b", s);
  }
  EXPECT_EQ(step.stepCount(), 5);
}

}  // namespace

TEST(Optimizer, SgdFollowsTheTextbookFormula) { checkOptimizer(optim::sgd({.lr = 0.1f})); }
TEST(Optimizer, MomentumFollowsPyTorchsFormula) { checkOptimizer(optim::momentum({.lr = 0.1f, .momentum = 0.9f})); }
TEST(Optimizer, NesterovFollowsPyTorchsFormula) { checkOptimizer(optim::nesterov({.lr = 0.1f, .momentum = 0.8f})); }
TEST(Optimizer, AdamFollowsTheTextbookFormulaWithBiasCorrection) {
  checkOptimizer(optim::adam({.lr = 0.05f, .beta1 = 0.9f, .beta2 = 0.99f}));
}
TEST(Optimizer, AdamWDecaysWeightMatricesOutsideTheGradient) {
  checkOptimizer(optim::adamw({.lr = 0.05f, .beta1 = 0.8f, .beta2 = 0.95f, .weight_decay = 0.5f}));
}

TEST(Optimizer, StateBuffersAreZeroInitializedAndNotReportedAsWeights) {
  TrainingStep step = toyStep(optim::adam());
  EXPECT_EQ(step.stateNames(), (std::vector<std::string>{"w.m", "w.v", "b.m", "b.v"}));
  EXPECT_EQ(step.parameterNames(), (std::vector<std::string>{"w", "b"}));
  for (const std::string& s : step.stateNames())
    for (float v : step.parameter(s)) EXPECT_EQ(v, 0.0f) << s;
  StepResult r = step.run(kX, kT);
  ASSERT_EQ(r.weights.size(), 2u);
  EXPECT_NE(step.parameter("w.m")[0], 0.0f);
  EXPECT_TRUE(step.regularizedParameters().empty());
}

TEST(Optimizer, AdamBiasCorrectionFollowsTheStepCounter) {
  Optimizer adam = optim::adam({.beta1 = 0.9f, .beta2 = 0.999f});
  std::vector<float> first = adam.stepInputs(1), tenth = adam.stepInputs(10);
  // 1/bc1 and 1/sqrt(bc2), bc = 1 - beta^t with the float betas, in double
  // and each rounded once.
  const double b1 = 0.9f, b2 = 0.999f;
  EXPECT_EQ(first[0], float(1 / (1 - b1)));
  EXPECT_EQ(first[1], float(1 / std::sqrt(1 - b2)));
  EXPECT_EQ(tenth[0], float(1 / (1 - std::pow(b1, 10))));
  EXPECT_EQ(tenth[1], float(1 / std::sqrt(1 - std::pow(b2, 10))));
  EXPECT_TRUE(optim::momentum().stepInputs(3).empty());
  EXPECT_THROW(adam.stepInputs(0), Error);
}

// ------------------------------------------------------------ regularizers

TEST(Regularizer, L1AndL2EnterTheLossAndTheGradient) {
  const float lr = 0.1f, l1 = 0.01f, l2 = 0.02f;
  TrainingStep step = toyStep(optim::sgd({.lr = lr}), reg::l1(l1) + reg::l2(l2));
  std::vector<double> w = read(step, "w"), b = read(step, "b");
  for (int s = 1; s <= 3; ++s) {
    Grads g = dataGradient(w, b);
    double penalty = 0;
    for (size_t i = 0; i < 4; ++i) {
      penalty += l1 * std::abs(w[i]) + l2 * w[i] * w[i];
      g.w[i] += l1 * (w[i] > 0 ? 1 : w[i] < 0 ? -1 : 0) + 2 * l2 * w[i];
    }
    StepResult r = step.run(kX, kT);
    EXPECT_NEAR(r.loss - r.data_loss, penalty, 1e-6);
    for (size_t i = 0; i < 4; ++i) w[i] -= lr * g.w[i];
    for (size_t j = 0; j < 2; ++j) b[j] -= lr * g.b[j];  // biases are not regularized
    expectNear(w, step, "w", s);
    expectNear(b, step, "b", s);
  }
}

TEST(Regularizer, ProximalL1SoftThresholdsToExactZeros) {
  const float lr = 0.1f, l1 = 2.0f;  // threshold lr·λ = 0.2
  TrainingStep step = toyStep(optim::sgd({.lr = lr}), reg::proximal_l1(l1));
  std::vector<double> w = read(step, "w"), b = read(step, "b");
  int zeros = 0;
  for (int s = 1; s <= 4; ++s) {
    Grads g = dataGradient(w, b);
    double absSum = 0;
    for (double v : w) absSum += std::abs(v);
    StepResult r = step.run(kX, kT);
    EXPECT_NEAR(r.loss - r.data_loss, l1 * absSum, 1e-5);  // the penalty is still in the loss
    for (size_t i = 0; i < 4; ++i) {
      double z = w[i] - lr * g.w[i];  // no L1 in the gradient
      w[i] = std::copysign(std::max(std::abs(z) - double(lr) * l1, 0.0), z);
    }
    for (size_t j = 0; j < 2; ++j) b[j] -= lr * g.b[j];
    expectNear(w, step, "w", s);
    zeros = 0;
    for (size_t i = 0; i < 4; ++i)
      if (w[i] == 0) {
        ++zeros;
        EXPECT_EQ(step.parameter("w")[i], 0.0f) << "w[" << i << "] is not exactly zero";
      }
  }
  EXPECT_GT(zeros, 0) << "the test should drive some weight to zero";
  EXPECT_EQ(step.run(kX, kT).weights[0].zeros, float(zeros));  // counted on the weights that step used
}

TEST(Regularizer, CoefficientsChangeBetweenStepsWithoutRecompiling) {
  const float lr = 0.1f;
  TrainingStep step = toyStep(optim::sgd({.lr = lr}), reg::l2(0.02f));
  EXPECT_EQ(step.regularizedParameters(), std::vector<std::string>{"w"});
  step.run(kX, kT);
  for (float l2 : {0.5f, 0.0f}) {
    step.setRegularizer("w", reg::l1(0.03f) + reg::l2(l2));
    EXPECT_EQ(step.regularizer("w"), reg::l1(0.03f) + reg::l2(l2));
    std::vector<double> w = read(step, "w"), b = read(step, "b");
    Grads g = dataGradient(w, b);
    double penalty = 0;
    for (size_t i = 0; i < 4; ++i) penalty += 0.03f * std::abs(w[i]) + l2 * w[i] * w[i];
    StepResult r = step.run(kX, kT);
    EXPECT_NEAR(r.loss - r.data_loss, penalty, 1e-6) << "l2 " << l2;
    for (size_t i = 0; i < 4; ++i) w[i] -= lr * (g.w[i] + 0.03f * (w[i] > 0 ? 1 : -1) + 2 * l2 * w[i]);
    expectNear(w, step, "w", 0);
  }
}

TEST(Regularizer, ChangingWhatWasCompiledIsAnError) {
  TrainingStep step = toyStep(optim::sgd(), reg::l2(0.1f));
  auto message = [&](auto f) {
    try {
      f();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message([&] { step.setRegularizer("b", reg::l2(1)); }).find("'b': the step was compiled without a regularizer"),
            std::string::npos);
  EXPECT_NE(message([&] { step.setRegularizer("nope", reg::l2(1)); }).find("no parameter of that name"),
            std::string::npos);
  EXPECT_NE(message([&] { step.setRegularizer("w", reg::proximal_l1(1)); })
                .find("compiled with plain L1, cannot switch to proximal L1"),
            std::string::npos);
}

TEST(Regularizer, GroupRulesSkipVectorsUnlessAsked) {
  auto regularized = [](std::vector<RegularizerRule> rules) {
    return toyStep(optim::sgd(), {}, std::move(rules)).regularizedParameters();
  };
  EXPECT_EQ(regularized({{"*", reg::l2(0.1f)}}), std::vector<std::string>{"w"});
  EXPECT_EQ(regularized({{"*", reg::l2(0.1f), true}}), (std::vector<std::string>{"w", "b"}));
  EXPECT_TRUE(regularized({{"b", reg::l2(0.1f)}}).empty());
  EXPECT_TRUE(regularized({{"*", reg::l2(0.1f)}, {"w", reg::none()}}).empty());  // the last match wins
  EXPECT_TRUE(globMatch("fc*.weight", "fc12.weight"));
  EXPECT_FALSE(globMatch("fc*.weight", "fc1.bias"));
  EXPECT_TRUE(globMatch("*", ""));
  EXPECT_TRUE(globMatch("*.b*s", "fc1.bias"));
}

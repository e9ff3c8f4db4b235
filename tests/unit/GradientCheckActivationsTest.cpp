// The functions composed from primitives in frontend/Tensor.cpp (activations,
// softmax, losses): their gradients against finite differences, their values
// against hand-computed numbers, and their behavior where finite
// differences cannot look (kinks, logits of ±1000).
#include "GradientCheck.h"

#include "frontend/Loss.h"
#include "frontend/Modules.h"
#include "ir/Error.h"

using namespace sigma;
using namespace sigma::gradcheck;

namespace {
// A case applying a Tensor function to the first parameter.
GradCase unaryCase(std::string name, Shape shape, Tensor (*f)(Tensor), float minMagnitude = 0) {
  return {std::move(name), {std::move(shape)}, [f](Graph& g, auto& p) { return f(T(g, p[0])).node(); },
          minMagnitude};
}
// A dense f32 constant.
Tensor dense(Graph& g, Shape shape, std::vector<float> values) {
  return T(g, g.constant({DType::F32, std::move(shape)}, std::move(values)));
}
}  // namespace

TEST(GradientCheck, Relu) { checkGradient(unaryCase("relu", {3, 4}, relu, 0.1f)); }
TEST(GradientCheck, LeakyRelu) {
  checkGradient({"leaky_relu", {{3, 4}}, [](Graph& g, auto& p) { return leaky_relu(T(g, p[0]), 0.1f).node(); }, 0.1f});
}
TEST(GradientCheck, Sigmoid) { checkGradient(unaryCase("sigmoid", {3, 4}, sigmoid)); }
TEST(GradientCheck, Gelu) { checkGradient(unaryCase("gelu", {3, 4}, gelu)); }
TEST(GradientCheck, Softmax) { checkGradient(unaryCase("softmax", {3, 4}, softmax)); }
TEST(GradientCheck, Softmax3D) { checkGradient(unaryCase("softmax", {2, 2, 3}, softmax)); }
TEST(GradientCheck, LogSoftmax) { checkGradient(unaryCase("log_softmax", {2, 5}, log_softmax)); }
TEST(GradientCheck, CrossEntropyOneHot) {
  checkGradient({"cross_entropy", {{4, 3}}, [](Graph& g, auto& p) {
                   Tensor onehot = dense(g, {4, 3}, {0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 1, 0});
                   return cross_entropy_from_logits(T(g, p[0]), onehot).node();
                 }});
}
TEST(GradientCheck, CrossEntropySoftLabels) {
  checkGradient({"cross_entropy", {{2, 3}}, [](Graph& g, auto& p) {
                   Tensor soft = dense(g, {2, 3}, {0.2f, 0.3f, 0.5f, 0.9f, 0.1f, 0});
                   return cross_entropy_from_logits(T(g, p[0]), soft).node();
                 }});
}
TEST(GradientCheck, BceWithLogits) {
  checkGradient({"bce_with_logits", {{2, 3}}, [](Graph& g, auto& p) {
                   Tensor t = dense(g, {2, 3}, {1, 0, 0.25f, 0, 1, 0.5f});
                   return bce_with_logits(T(g, p[0]), t).node();
                 }, 0.1f});
}

// ---- Values, against hand-computed numbers (Python's math module).

namespace {
// f(x) and d Σ(f(x) ⊙ weights) / dx at the given x, both backends agreeing.
struct ValueAndGrad {
  std::vector<float> value, grad;
};
ValueAndGrad evaluate(const std::function<Tensor(Tensor)>& f, Shape shape, std::vector<float> x,
                      std::vector<float> weights = {}) {
  Graph g;
  Node* p = g.parameter("x", {DType::F32, shape});
  Tensor y = f(T(g, p));
  Tensor weighted = weights.empty() ? y : y * dense(g, y.shape(), weights);
  Node* grad = differentiate(g, sum(weighted).node(), {p})[0];
  g.addOutput("y", y.node());
  g.addOutput("grad", grad);
  Outputs out = runBoth(g, [&](Executable& e) { setF32(e, "x", x); }, {"y", "grad"});
  return {out[0], out[1]};
}
void expectNear(const std::vector<float>& actual, const std::vector<double>& expected, double tol = 1e-6) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < actual.size(); ++i) EXPECT_NEAR(actual[i], expected[i], tol) << "[" << i << "]";
}
}  // namespace

TEST(Activations, SoftmaxRowsSumToOneAndMatchHandComputedValues) {
  ValueAndGrad r = evaluate(softmax, {3, 3}, {1, 2, 3, 1000, 0, -1000, 5, 5, 5});
  expectNear(r.value, {0.09003057317, 0.24472847105, 0.66524095577, 1, 0, 0, 1 / 3.0, 1 / 3.0, 1 / 3.0});
  for (int row = 0; row < 3; ++row) EXPECT_NEAR(r.value[row * 3] + r.value[row * 3 + 1] + r.value[row * 3 + 2], 1, 1e-6);
  // Σ softmax = 1 for any x, so its gradient is 0 (up to rounding).
  for (float v : r.grad) EXPECT_NEAR(v, 0, 1e-6);
}

TEST(Activations, LogSoftmaxIsFiniteAtLargeLogits) {
  ValueAndGrad r = evaluate(log_softmax, {2, 2}, {1000, 0, -1000, 1000}, {1, 0, 0, 1});
  expectNear(r.value, {0, -1000, -2000, 0});
  // d/dx Σ w·log_softmax(x) = w - softmax(x)·Σw per row.
  expectNear(r.grad, {0, 0, 0, 0});
  ValueAndGrad s = evaluate(log_softmax, {1, 2}, {1000, 0}, {0, 1});
  expectNear(s.grad, {-1, 1});
}

TEST(Losses, CrossEntropyMatchesAHandComputedValue) {
  // Rows [1,2,3] with label 2 and [1,1,1] with label 0:
  // (-log(softmax(1,2,3)[2]) - log(1/3)) / 2.
  std::vector<float> onehot{0, 0, 1, 1, 0, 0};
  auto ce = [&](Tensor x) { return cross_entropy_from_logits(x, dense(*x.graph(), {2, 3}, onehot)); };
  ValueAndGrad r = evaluate(ce, {2, 3}, {1, 2, 3, 1, 1, 1});
  expectNear(r.value, {0.7531091265562451});
  // The gradient is (softmax - onehot) / batch.
  expectNear(r.grad, {0.09003057317 / 2, 0.24472847105 / 2, (0.66524095577 - 1) / 2, (1 / 3.0 - 1) / 2,
                      1 / 6.0, 1 / 6.0});
  // Logits of ±1000 stay finite, forward and backward.
  ValueAndGrad big = evaluate(ce, {2, 3}, {1000, 0, -1000, 0, 1000, 0});
  expectNear(big.value, {(2000 + 1000) / 2.0}, 1e-3);
  expectNear(big.grad, {0.5, 0, -0.5, -0.5, 0.5, 0});
}

TEST(Losses, BceWithLogitsMatchesHandComputedValuesAndIsRightAtZero) {
  std::vector<float> t{1, 0, 1};
  auto bce = [&](Tensor x) { return bce_with_logits(x, dense(*x.graph(), {3}, t)); };
  ValueAndGrad r = evaluate(bce, {3}, {0, 2, -3});
  expectNear(r.value, {1.9562208477255532});
  // d/dx = (sigmoid(x) - t) / n; at x = 0 exactly that is (0.5 - t) / n.
  auto sig = [](double x) { return 1 / (1 + std::exp(-x)); };
  expectNear(r.grad, {(0.5 - 1) / 3, sig(2) / 3, (sig(-3) - 1) / 3});
  ValueAndGrad big = evaluate(bce, {3}, {1000, -1000, -1000});
  expectNear(big.value, {(0 + 0 + 1000) / 3.0}, 1e-3);
  expectNear(big.grad, {0, 0, -1 / 3.0});
}

TEST(Activations, SigmoidSaturatesWithoutNaN) {
  ValueAndGrad r = evaluate(sigmoid, {5}, {0, 100, -100, 2, -1000});
  expectNear(r.value, {0.5, 1, 0, 0.8807970779778823, 0});
  expectNear(r.grad, {0.25, 0, 0, 0.8807970779778823 * (1 - 0.8807970779778823), 0});
}

TEST(Activations, GeluIsTheTanhApproximation) {
  ValueAndGrad r = evaluate(gelu, {4}, {1, -3, 0.5f, 2});
  // 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))); erf-exact GELU(1) would be 0.8413447.
  expectNear(r.value, {0.8411919906082768, -0.0036373920817729943, 0.34571400982514394, 1.954597694087775});
}

TEST(Activations, KinksTakePyTorchsDerivatives) {
  // relu'(0) = 0, leaky_relu'(0) = slope (PyTorch: x > 0 ? 1 : slope).
  expectNear(evaluate(relu, {3}, {0, -1, 2}).grad, {0, 0, 1});
  ValueAndGrad leaky = evaluate([](Tensor x) { return leaky_relu(x, 0.2f); }, {3}, {0, -1, 2});
  expectNear(leaky.value, {0, -0.2, 2});
  expectNear(leaky.grad, {0.2, 0.2, 1});
  GraphBuilder b;
  Tensor x = b.input("x", {3});
  EXPECT_THROW(leaky_relu(x, 1.0f), Error);
  EXPECT_THROW(leaky_relu(x, -0.1f), Error);
}

TEST(Modules, ActivationsBuildTheirFunctions) {
  GraphBuilder b("act");
  Tensor x = b.input("x", {4, 2});
  nn::Sequential net{nn::Linear(2, 3), nn::ReLU(), nn::LeakyReLU(0.1f), nn::Sigmoid(), nn::GELU(), nn::Tanh()};
  EXPECT_EQ(net.forward(b, x).type().str(), "f32[4,3]");
  EXPECT_EQ(net.str(), "Sequential(Linear(2, 3), ReLU(), LeakyReLU(0.1), Sigmoid(), GELU(approximate='tanh'), Tanh())");
  EXPECT_THROW(nn::LeakyReLU(-0.5f), Error);
}

TEST(Losses, KindsNamesAndTargetTypes) {
  TensorType logits{DType::F32, {8, 10}};
  EXPECT_EQ(loss::cross_entropy().str(), "cross_entropy");
  EXPECT_EQ(loss::bce_with_logits().str(), "bce_with_logits");
  EXPECT_EQ(loss::mse().str(), "mse");
  EXPECT_EQ(loss::cross_entropy().targetType(logits), logits);  // one-hot rows
  GraphBuilder b;
  Tensor y = b.input("y", {8, 10}), t = b.input("t", {8, 10}), bad = b.input("bad", {8, 9});
  EXPECT_EQ(loss::cross_entropy()(y, t).type().str(), "f32[]");
  EXPECT_EQ(loss::bce_with_logits()(y, t).type().str(), "f32[]");
  EXPECT_THROW(loss::cross_entropy()(y, bad), Error);
  EXPECT_THROW(loss::bce_with_logits()(y, bad), Error);
}

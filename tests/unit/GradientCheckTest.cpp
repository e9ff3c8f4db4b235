// Every op's gradient rule against central finite differences, and the
// gradient step itself run by the JIT and by the interpreter with the same
// results.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "ir/Error.h"
#include "passes/Autodiff.h"
#include "passes/LowerToLoops.h"
#include "runtime/Executable.h"
#include "runtime/Rng.h"

using namespace sigma;

namespace {

using OpBuilder = std::function<Node*(Graph&, const std::vector<Node*>&)>;

struct GradCase {
  std::string name;
  std::vector<Shape> operands;
  OpBuilder build;
  float minMagnitude = 0;  // keep operands away from kinks (abs at 0) and poles (1/x)
};

// loss = Σ f(p...) ⊙ R for a fixed random R, so every output element has a
// different weight in the loss and a wrong index in a rule shows up.
struct GradProblem {
  Graph graph{"gradcheck"};
  std::vector<Node*> params;
  std::unique_ptr<Executable> exec;

  GradProblem(const GradCase& c, Backend backend) {
    Rng rng(7);
    for (size_t i = 0; i < c.operands.size(); ++i)
      params.push_back(graph.parameter("p" + std::to_string(i), {DType::F32, c.operands[i]}));
    Node* out = c.build(graph, params);
    std::vector<float> r(size_t(out->type.size()));
    for (float& v : r) v = rng.uniform(1.0);
    Node* weights = graph.constant(out->type, r);
    Node* loss = graph.reduceAll(Op::Sum, graph.binary(Op::Mul, out, weights));
    graph.addOutput("loss", loss);
    std::vector<Node*> grads = differentiate(graph, loss, params);
    for (size_t i = 0; i < grads.size(); ++i) graph.addOutput("grad" + std::to_string(i), grads[i]);
    exec = std::make_unique<Executable>(lowerToLoops(graph), ExecutableOptions{backend, 2});
    Rng init(11);
    for (size_t i = 0; i < params.size(); ++i)
      for (float& v : exec->f32(params[i]->name)) {
        do v = init.uniform(2.0);
        while (std::fabs(v) < c.minMagnitude);
      }
  }
  float loss() {
    exec->run();
    return exec->f32("loss")[0];
  }
};

void checkGradient(const GradCase& c) {
  SCOPED_TRACE(c.name);
  GradProblem p(c, Backend::Interpreter);
  p.exec->run();
  // Copy every gradient before perturbing anything: each finite-difference
  // run recomputes the gradient buffers too.
  std::vector<std::vector<float>> gradients;
  for (size_t i = 0; i < p.params.size(); ++i) {
    std::span<const float> g = p.exec->f32("grad" + std::to_string(i));
    gradients.emplace_back(g.begin(), g.end());
  }
  for (size_t i = 0; i < p.params.size(); ++i) {
    const std::vector<float>& analytic = gradients[i];
    std::span<float> w = p.exec->f32(p.params[i]->name);
    for (size_t j = 0; j < w.size(); ++j) {
      const float saved = w[j], eps = 1e-2f;
      w[j] = saved + eps;
      double up = p.loss();
      w[j] = saved - eps;
      double down = p.loss();
      w[j] = saved;
      double numeric = (up - down) / (2.0 * eps);
      EXPECT_NEAR(analytic[j], numeric, 2e-3 + 2e-2 * std::fabs(numeric))
          << "d loss / d p" << i << "[" << j << "]";
    }
  }
  // The same gradient step compiled by LLVM gives bit-identical results.
  GradProblem jit(c, Backend::JIT);
  jit.exec->run();
  p.exec->run();
  for (size_t i = 0; i < p.params.size(); ++i) {
    std::span<const float> a = p.exec->f32("grad" + std::to_string(i)), b = jit.exec->f32("grad" + std::to_string(i));
    for (size_t j = 0; j < a.size(); ++j) EXPECT_EQ(a[j], b[j]) << "jit vs interpreter, grad" << i << "[" << j << "]";
  }
}

Node* un(Graph& g, Op op, Node* x) { return g.unary(op, x); }
Node* bin(Graph& g, Op op, Node* a, Node* b) { return g.binary(op, a, b); }

}  // namespace

TEST(GradientCheck, Neg) { checkGradient({"neg", {{3, 4}}, [](Graph& g, auto& p) { return un(g, Op::Neg, p[0]); }}); }
TEST(GradientCheck, Abs) { checkGradient({"abs", {{3, 4}}, [](Graph& g, auto& p) { return un(g, Op::Abs, p[0]); }, 0.1f}); }
TEST(GradientCheck, SignIsZero) {
  checkGradient({"sign*x", {{5}}, [](Graph& g, auto& p) { return bin(g, Op::Mul, un(g, Op::Sign, p[0]), p[0]); }, 0.1f});
}
TEST(GradientCheck, Square) { checkGradient({"square", {{3, 4}}, [](Graph& g, auto& p) { return un(g, Op::Square, p[0]); }}); }
TEST(GradientCheck, Tanh) { checkGradient({"tanh", {{3, 4}}, [](Graph& g, auto& p) { return un(g, Op::Tanh, p[0]); }}); }
TEST(GradientCheck, AddBroadcastsBothWays) {
  checkGradient({"add", {{4, 1}, {3}}, [](Graph& g, auto& p) { return bin(g, Op::Add, p[0], p[1]); }});
}
TEST(GradientCheck, SubWithScalar) {
  checkGradient({"sub", {{}, {2, 3}}, [](Graph& g, auto& p) { return bin(g, Op::Sub, p[0], p[1]); }});
}
TEST(GradientCheck, MulBroadcast) {
  checkGradient({"mul", {{2, 3}, {1, 3}}, [](Graph& g, auto& p) { return bin(g, Op::Mul, p[0], p[1]); }});
}
TEST(GradientCheck, Div) {
  checkGradient({"div", {{2, 3}, {3}}, [](Graph& g, auto& p) { return bin(g, Op::Div, p[0], p[1]); }, 0.5f});
}
TEST(GradientCheck, Broadcast) {
  checkGradient({"broadcast", {{3, 1}}, [](Graph& g, auto& p) { return g.broadcast(p[0], {2, 3, 4}); }});
}
TEST(GradientCheck, SumToShape) {
  checkGradient({"sum", {{2, 3, 4}}, [](Graph& g, auto& p) { return g.reduce(Op::Sum, p[0], {3, 1}); }});
}
TEST(GradientCheck, SumAll) { checkGradient({"sum", {{2, 3}}, [](Graph& g, auto& p) { return g.reduceAll(Op::Sum, p[0]); }}); }
TEST(GradientCheck, Mean) {
  checkGradient({"mean", {{4, 3}}, [](Graph& g, auto& p) { return g.reduce(Op::Mean, p[0], {3}); }});
}
TEST(GradientCheck, MatMulAllTransposes) {
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      Shape a = ta ? Shape{5, 3} : Shape{3, 5}, b = tb ? Shape{4, 5} : Shape{5, 4};
      checkGradient({fmt::format("matmul ta={} tb={}", ta, tb), {a, b},
                     [=](Graph& g, auto& p) { return g.matmul(p[0], p[1], ta, tb); }});
    }
}
TEST(GradientCheck, Composite) {  // a node used twice accumulates both adjoints
  checkGradient({"x*tanh(x)+x", {{6}}, [](Graph& g, auto& p) {
                   return bin(g, Op::Add, bin(g, Op::Mul, p[0], un(g, Op::Tanh, p[0])), p[0]);
                 }});
}

TEST(Autodiff, MaxHasNoGradientRuleAndSaysSo) {
  Graph g;
  Node* p = g.parameter("p", {DType::F32, {3}});
  Node* loss = g.reduceAll(Op::Max, p);
  try {
    differentiate(g, loss, {p});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no gradient rule for max"), std::string::npos) << e.what();
  }
}

TEST(Autodiff, OnlyComputesGradientsOnThePathToTheParameters) {
  Graph g;
  Node* x = g.input("x", {DType::F32, {4, 2}});
  Node* w = g.parameter("w", {DType::F32, {3, 2}});
  Node* loss = g.reduceAll(Op::Sum, g.matmul(x, w, false, true));
  size_t before = g.nodes().size();
  differentiate(g, loss, {w});
  int matmuls = 0;
  for (size_t i = before; i < g.nodes().size(); ++i) matmuls += g.nodes()[i]->op == Op::MatMul;
  EXPECT_EQ(matmuls, 1) << "the input's gradient must not be computed";
}

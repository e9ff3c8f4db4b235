// The finite-difference gradient check shared by GradientCheckTest.cpp
// (primitive ops) and GradientCheckActivationsTest.cpp (composed functions).
//
// checkGradient(case) builds loss = Σ f(p...) ⊙ R for a fixed random R (so a
// wrong index in a rule shows up), differentiates it, checks every gradient
// element against central differences, and runs the same gradient program
// through the JIT, which must give bit-identical results to the interpreter.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "frontend/Tensor.h"
#include "passes/Autodiff.h"
#include "passes/LowerToLoops.h"
#include "runtime/Executable.h"
#include "runtime/Rng.h"

namespace sigma::gradcheck {

using OpBuilder = std::function<Node*(Graph&, const std::vector<Node*>&)>;

struct GradCase {
  std::string name;
  std::vector<Shape> operands;  // the f32 parameters p0, p1, ... (random in [-2, 2])
  OpBuilder build;
  float minMagnitude = 0;  // keep operands away from kinks (abs at 0) and poles (1/x)
  // Fills the graph's inputs (e.g. i32 indices) once the program is built.
  std::function<void(Executable&)> setInputs = nullptr;
};

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
    if (c.setInputs) c.setInputs(*exec);
  }
  float loss() {
    exec->run();
    return exec->f32("loss")[0];
  }
};

inline void checkGradient(const GradCase& c) {
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
  std::span<const float> la = p.exec->f32("loss"), lb = jit.exec->f32("loss");
  EXPECT_EQ(la[0], lb[0]) << "jit vs interpreter, loss";
}

inline Node* un(Graph& g, Op op, Node* x) { return g.unary(op, x); }
inline Node* bin(Graph& g, Op op, Node* a, Node* b) { return g.binary(op, a, b); }
inline Tensor T(Graph& g, Node* n) { return {&g, n}; }

}  // namespace sigma::gradcheck

namespace sigma::gradcheck {

using Outputs = std::vector<std::vector<float>>;

// Runs `graph` once with the interpreter and once with the JIT, each after
// `fill` has set its inputs and parameters, checks that both give
// bit-identical `outputs`, and returns the interpreter's.
inline Outputs runBoth(const Graph& graph, const std::function<void(Executable&)>& fill,
                       const std::vector<std::string>& outputs) {
  Outputs result[2];
  for (Backend backend : {Backend::Interpreter, Backend::JIT}) {
    Executable exec(lowerToLoops(graph), ExecutableOptions{backend, 2});
    fill(exec);
    exec.run();
    for (const std::string& name : outputs) {
      std::span<const float> v = exec.f32(name);
      result[backend == Backend::JIT].emplace_back(v.begin(), v.end());
    }
  }
  for (size_t i = 0; i < outputs.size(); ++i)
    for (size_t j = 0; j < result[0][i].size(); ++j) {
      float a = result[0][i][j], b = result[1][i][j];
      EXPECT_TRUE(a == b || (std::isnan(a) && std::isnan(b)))
          << "jit vs interpreter, " << outputs[i] << "[" << j << "]: " << a << " vs " << b;
    }
  return result[0];
}

inline void setF32(Executable& exec, const std::string& name, const std::vector<float>& values) {
  std::span<float> b = exec.f32(name);
  ASSERT_EQ(b.size(), values.size()) << name;
  std::copy(values.begin(), values.end(), b.begin());
}

inline void setI32(Executable& exec, const std::string& name, const std::vector<int32_t>& values) {
  std::span<int32_t> b = exec.i32(name);
  ASSERT_EQ(b.size(), values.size()) << name;
  std::copy(values.begin(), values.end(), b.begin());
}

}  // namespace sigma::gradcheck

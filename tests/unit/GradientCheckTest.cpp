// Every primitive op's gradient rule against central finite differences, and
// the gradient step itself run by the JIT and by the interpreter with the
// same results (the harness is in GradientCheck.h; the composed functions of
// frontend/Tensor.h are checked in GradientCheckActivationsTest.cpp).
#include "GradientCheck.h"

#include "ir/Error.h"

using namespace sigma;
using namespace sigma::gradcheck;

TEST(GradientCheck, Neg) { checkGradient({"neg", {{3, 4}}, [](Graph& g, auto& p) { return un(g, Op::Neg, p[0]); }}); }
TEST(GradientCheck, Abs) { checkGradient({"abs", {{3, 4}}, [](Graph& g, auto& p) { return un(g, Op::Abs, p[0]); }, 0.1f}); }
TEST(GradientCheck, SignIsZero) {
  checkGradient({"sign*x", {{5}}, [](Graph& g, auto& p) { return bin(g, Op::Mul, un(g, Op::Sign, p[0]), p[0]); }, 0.1f});
}
TEST(GradientCheck, Square) { checkGradient({"square", {{3, 4}}, [](Graph& g, auto& p) { return un(g, Op::Square, p[0]); }}); }
TEST(GradientCheck, Sqrt) {
  checkGradient({"sqrt", {{3, 4}}, [](Graph& g, auto& p) { return un(g, Op::Sqrt, un(g, Op::Abs, p[0])); }, 0.2f});
}
TEST(GradientCheck, Tanh) { checkGradient({"tanh", {{3, 4}}, [](Graph& g, auto& p) { return un(g, Op::Tanh, p[0]); }}); }
TEST(GradientCheck, Exp) { checkGradient({"exp", {{3, 4}}, [](Graph& g, auto& p) { return un(g, Op::Exp, p[0]); }}); }
TEST(GradientCheck, Log) {  // of |x| >= 0.3, away from the pole at 0
  checkGradient({"log|x|", {{3, 4}}, [](Graph& g, auto& p) { return un(g, Op::Log, un(g, Op::Abs, p[0])); }, 0.3f});
}
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
TEST(GradientCheck, MaximumBroadcast) {
  checkGradient({"maximum", {{2, 3}, {3}}, [](Graph& g, auto& p) { return bin(g, Op::Maximum, p[0], p[1]); }});
}
TEST(GradientCheck, MinimumBroadcastsBothWays) {
  checkGradient({"minimum", {{4, 1}, {3}}, [](Graph& g, auto& p) { return bin(g, Op::Minimum, p[0], p[1]); }});
}
TEST(GradientCheck, GeIsZero) {  // ge(a,b)·a: the mask is a constant for the gradient
  checkGradient({"ge*a", {{2, 3}, {3}}, [](Graph& g, auto& p) {
                   return bin(g, Op::Mul, bin(g, Op::Ge, p[0], p[1]), p[0]);
                 }});
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
TEST(GradientCheck, MaxToShape) {
  checkGradient({"max", {{3, 4}}, [](Graph& g, auto& p) { return g.reduce(Op::Max, p[0], {3, 1}); }});
}
TEST(GradientCheck, MaxAll) { checkGradient({"max", {{2, 3}}, [](Graph& g, auto& p) { return g.reduceAll(Op::Max, p[0]); }}); }
TEST(GradientCheck, MinToShape) {
  checkGradient({"min", {{2, 3, 4}}, [](Graph& g, auto& p) { return g.reduce(Op::Min, p[0], {3, 1}); }});
}
TEST(GradientCheck, MinAll) { checkGradient({"min", {{5}}, [](Graph& g, auto& p) { return g.reduceAll(Op::Min, p[0]); }}); }
TEST(GradientCheck, MatMulAllTransposes) {
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      Shape a = ta ? Shape{5, 3} : Shape{3, 5}, b = tb ? Shape{4, 5} : Shape{5, 4};
      checkGradient({fmt::format("matmul ta={} tb={}", ta, tb), {a, b},
                     [=](Graph& g, auto& p) { return g.matmul(p[0], p[1], ta, tb); }});
    }
}
TEST(GradientCheck, Transpose2D) {
  checkGradient({"transpose", {{3, 4}}, [](Graph& g, auto& p) { return g.transpose(p[0], {1, 0}); }});
}
TEST(GradientCheck, Transpose3D) {  // the gradient applies the inverse permutation [1,2,0]
  checkGradient({"transpose", {{2, 3, 4}}, [](Graph& g, auto& p) { return g.transpose(p[0], {2, 0, 1}); }});
}
TEST(GradientCheck, Reshape) {
  checkGradient({"reshape", {{3, 4}}, [](Graph& g, auto& p) { return g.reshape(p[0], {2, 3, 2}); }});
}
TEST(GradientCheck, GatherRepeatsAndClampsRows) {
  // Row 0 is picked three times (once by -1, clamped) and row 4 twice (once
  // by 7, clamped): the table's gradient adds up every use; row 1 gets none.
  checkGradient({"gather", {{5, 3}},
                 [](Graph& g, auto& p) { return g.gather(p[0], g.input("idx", {DType::I32, {2, 3}})); }, 0,
                 [](Executable& e) { setI32(e, "idx", {4, 0, 2, 0, 7, -1}); }});
}
TEST(GradientCheck, ScatterAdd) {
  checkGradient({"scatter_add", {{4, 2}},
                 [](Graph& g, auto& p) { return g.scatterAdd(p[0], g.input("idx", {DType::I32, {4}}), {3, 2}); }, 0,
                 [](Executable& e) { setI32(e, "idx", {2, 0, 2, 9}); }});
}
TEST(GradientCheck, Composite) {  // a node used twice accumulates both adjoints
  checkGradient({"x*tanh(x)+x", {{6}}, [](Graph& g, auto& p) {
                   return bin(g, Op::Add, bin(g, Op::Mul, p[0], un(g, Op::Tanh, p[0])), p[0]);
                 }});
}

// ---- Where finite differences cannot look: ties and kinks, exactly.

namespace {
// d(Σ f(params) ⊙ weights)/d params, for given parameter values.
Outputs gradientsAt(const std::function<Node*(Graph&, const std::vector<Node*>&)>& f,
                    const std::vector<std::pair<Shape, std::vector<float>>>& params) {
  Graph g;
  std::vector<Node*> ps;
  for (size_t i = 0; i < params.size(); ++i) ps.push_back(g.parameter("p" + std::to_string(i), {DType::F32, params[i].first}));
  Node* loss = g.reduceAll(Op::Sum, f(g, ps));
  std::vector<Node*> grads = differentiate(g, loss, ps);
  std::vector<std::string> names;
  for (size_t i = 0; i < grads.size(); ++i) g.addOutput(names.emplace_back("g" + std::to_string(i)), grads[i]);
  return runBoth(g, [&](Executable& e) {
    for (size_t i = 0; i < params.size(); ++i) setF32(e, "p" + std::to_string(i), params[i].second);
  }, names);
}
using V = std::vector<float>;
}  // namespace

TEST(Autodiff, MaxAndMinReductionsSplitTiesEvenly) {  // PyTorch's amax/amin
  EXPECT_EQ(gradientsAt([](Graph& g, auto& p) { return g.reduceAll(Op::Max, p[0]); }, {{{4}, {1, 3, 3, 2}}})[0],
            (V{0, 0.5f, 0.5f, 0}));
  EXPECT_EQ(gradientsAt([](Graph& g, auto& p) { return g.reduce(Op::Min, p[0], {2, 1}); },
                        {{{2, 3}, {2, 1, 1, 0, 5, 0}}})[0],
            (V{0, 0.5f, 0.5f, 0.5f, 0, 0.5f}));
  EXPECT_EQ(gradientsAt([](Graph& g, auto& p) { return g.reduce(Op::Max, p[0], {1, 3}); },
                        {{{3, 3}, {7, 7, 7, 7, 1, 7, 7, 1, 0}}})[0],
            (V{1 / 3.0f, 1, 0.5f, 1 / 3.0f, 0, 0.5f, 1 / 3.0f, 0, 0}));
}

TEST(Autodiff, MaximumAndMinimumGiveATieToTheFirstOperand) {
  auto max = [](Graph& g, auto& p) { return bin(g, Op::Maximum, p[0], p[1]); };
  auto min = [](Graph& g, auto& p) { return bin(g, Op::Minimum, p[0], p[1]); };
  Outputs gmax = gradientsAt(max, {{{3}, {1, 2, 3}}, {{3}, {1, 5, 0}}});
  EXPECT_EQ(gmax[0], (V{1, 0, 1}));
  EXPECT_EQ(gmax[1], (V{0, 1, 0}));
  Outputs gmin = gradientsAt(min, {{{3}, {1, 2, 3}}, {{3}, {1, 5, 0}}});
  EXPECT_EQ(gmin[0], (V{1, 1, 0}));
  EXPECT_EQ(gmin[1], (V{0, 0, 1}));
  // Broadcast: the scalar's gradient sums over the elements it won.
  Outputs gb = gradientsAt(max, {{{4}, {-1, 0, 2, 0}}, {{}, {0}}});
  EXPECT_EQ(gb[0], (V{0, 1, 1, 1}));
  EXPECT_EQ(gb[1], (V{1}));
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

TEST(Autodiff, GatherIndicesGetNoGradient) {
  Graph g;
  Node* table = g.parameter("table", {DType::F32, {4, 2}});
  Node* idx = g.input("idx", {DType::I32, {3}});
  Node* loss = g.reduceAll(Op::Sum, g.gather(table, idx));
  std::vector<Node*> grads = differentiate(g, loss, {table});
  EXPECT_EQ(grads[0]->op, Op::ScatterAdd);
  EXPECT_EQ(grads[0]->inputs[1], idx);
  EXPECT_EQ(grads[0]->type, table->type);
}

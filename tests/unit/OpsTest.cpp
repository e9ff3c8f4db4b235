// The primitive ops added for activations, losses and embeddings: their
// forward values (interpreter and JIT alike), shape rules and errors, and
// their text form. Gradients are in GradientCheckTest.cpp.
#include "GradientCheck.h"

#include "ir/Error.h"
#include "ir/GraphParser.h"
#include "ir/GraphPrinter.h"
#include "ir/GraphVerifier.h"

using namespace sigma;
using namespace sigma::gradcheck;

namespace {
using V = std::vector<float>;

std::string errorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

// Runs a graph whose only input is f32 %x (given) plus optional i32 %idx.
Outputs run(Graph& g, const V& x, const std::vector<int32_t>& idx, const std::vector<std::string>& outputs) {
  return runBoth(g, [&](Executable& e) {
    setF32(e, "x", x);
    if (!idx.empty()) setI32(e, "idx", idx);
  }, outputs);
}
}  // namespace

TEST(Ops, ElementwiseValues) {
  Graph g;
  Node* x = g.input("x", {DType::F32, {4}});
  Node* zero = g.scalar(0);
  g.addOutput("exp", g.unary(Op::Exp, x));
  g.addOutput("log", g.unary(Op::Log, x));
  g.addOutput("maximum", g.binary(Op::Maximum, x, zero));
  g.addOutput("minimum", g.binary(Op::Minimum, zero, x));
  g.addOutput("ge", g.binary(Op::Ge, x, zero));
  Outputs o = run(g, {0, 1, -2, NAN}, {}, {"exp", "log", "maximum", "minimum", "ge"});
  EXPECT_EQ(o[0][0], 1.0f);
  EXPECT_FLOAT_EQ(o[0][1], 2.7182817f);
  EXPECT_EQ(o[1][0], -INFINITY);
  EXPECT_EQ(o[1][1], 0.0f);
  EXPECT_TRUE(std::isnan(o[1][2]));  // log of a negative number
  EXPECT_EQ((V{o[2].begin(), o[2].begin() + 3}), (V{0, 1, 0}));
  EXPECT_EQ((V{o[3].begin(), o[3].begin() + 3}), (V{0, 0, -2}));
  EXPECT_TRUE(std::isnan(o[2][3]) && std::isnan(o[3][3]));  // maximum/minimum propagate NaN
  EXPECT_EQ(o[4], (V{1, 1, 0, 0}));                         // NaN >= 0 is false
}

TEST(Ops, MinAndMaxReductions) {
  Graph g;
  Node* x = g.input("x", {DType::F32, {2, 3}});
  g.addOutput("rowmin", g.reduce(Op::Min, x, {2, 1}));
  g.addOutput("colmax", g.reduce(Op::Max, x, {3}));
  g.addOutput("min", g.reduceAll(Op::Min, x));
  Outputs o = run(g, {3, -1, 2, 0, 5, -4}, {}, {"rowmin", "colmax", "min"});
  EXPECT_EQ(o[0], (V{-1, -4}));
  EXPECT_EQ(o[1], (V{3, 5, 2}));
  EXPECT_EQ(o[2], (V{-4}));
}

TEST(Ops, TransposeAndReshapeValues) {
  Graph g;
  Node* x = g.input("x", {DType::F32, {2, 3}});
  g.addOutput("t", g.transpose(x, {1, 0}));
  Node* cube = g.reshape(x, {1, 2, 3});
  g.addOutput("p", g.transpose(cube, {2, 0, 1}));
  g.addOutput("r", g.reshape(x, {3, 2}));
  Outputs o = run(g, {1, 2, 3, 4, 5, 6}, {}, {"t", "p", "r"});
  EXPECT_EQ(o[0], (V{1, 4, 2, 5, 3, 6}));
  EXPECT_EQ(o[1], (V{1, 4, 2, 5, 3, 6}));  // [3,1,2]: p[k,0,i] = x[i,k]
  EXPECT_EQ(o[2], (V{1, 2, 3, 4, 5, 6}));
}

TEST(Ops, GatherAndScatterAddClampIndices) {
  Graph g;
  Node* x = g.input("x", {DType::F32, {3, 2}});
  Node* idx = g.input("idx", {DType::I32, {4}});
  Node* rows = g.gather(x, idx);
  EXPECT_EQ(rows->type.str(), "f32[4,2]");
  g.addOutput("rows", rows);
  g.addOutput("back", g.scatterAdd(rows, idx, {3, 2}));
  Outputs o = run(g, {1, 2, 3, 4, 5, 6}, {2, -5, 9, 2}, {"rows", "back"});
  EXPECT_EQ(o[0], (V{5, 6, 1, 2, 5, 6, 5, 6}));  // -5 -> row 0, 9 -> row 2
  EXPECT_EQ(o[1], (V{1, 2, 0, 0, 15, 18}));      // row 2 gathered three times
}

TEST(Ops, GatherTakesIndicesOfAnyShape) {
  Graph g;
  Node* table = g.input("x", {DType::F32, {5, 2, 3}});
  Node* idx = g.input("idx", {DType::I32, {2, 4}});
  EXPECT_EQ(g.gather(table, idx)->type.str(), "f32[2,4,2,3]");
  Node* vec = g.input("v", {DType::F32, {5}});
  EXPECT_EQ(g.gather(vec, idx)->type.str(), "f32[2,4]");
}

TEST(Ops, ShapeErrorsNameTheOpAndTypes) {
  Graph g;
  Node* x = g.input("x", {DType::F32, {2, 3}});
  Node* fidx = g.input("fidx", {DType::F32, {4}});
  Node* idx = g.input("idx", {DType::I32, {4}});
  EXPECT_EQ(errorOf([&] { g.transpose(x, {0, 0}); }),
            "transpose: {perm=[0,0]} is not a permutation of the 2 dimensions of f32[2,3]");
  EXPECT_EQ(errorOf([&] { g.transpose(x, {1, 0, 2}); }),
            "transpose: {perm=[1,0,2]} is not a permutation of the 2 dimensions of f32[2,3]");
  EXPECT_EQ(errorOf([&] { g.reshape(x, {4, 2}); }), "reshape: f32[2,3] has 6 elements, [4,2] has 8");
  EXPECT_EQ(errorOf([&] { g.gather(x, fidx); }), "gather: the indices must be i32, got f32[4]");
  EXPECT_EQ(errorOf([&] { g.gather(idx, idx); }),
            "gather: the table must be an f32 tensor with at least one row, got i32[4]");
  EXPECT_EQ(errorOf([&] { g.scatterAdd(x, idx, {5, 3}); }),
            "scatter_add: source f32[2,3] does not match indices i32[4] into f32[5,3] (expected f32[4,3])");
  EXPECT_EQ(errorOf([&] { g.unary(Op::Exp, idx); }), "exp: operand must be f32, got i32[4]");
  EXPECT_EQ(g.binary(Op::Ge, x, x)->type.str(), "f32[2,3]");
}

TEST(Ops, TextFormRoundTripsAndIsVerified) {
  const std::string text =
      "graph @ops {\n"
      "  %x = input : f32[2,3]\n"
      "  %idx = input : i32[4]\n"
      "  %0 = transpose %x {perm=[1,0]} : f32[3,2]\n"
      "  %1 = reshape %0 : f32[6]\n"
      "  %2 = gather %x, %idx : f32[4,3]\n"
      "  %3 = scatter_add %2, %idx : f32[5,3] #backward\n"
      "  %4 = maximum %x, %x : f32[2,3]\n"
      "  %5 = ge %4, %x : f32[2,3]\n"
      "  %6 = min %5 : f32[]\n"
      "  output %out = %6\n"
      "}\n";
  Graph g = parseGraph(text, "t.sg");
  verifyGraph(g);
  EXPECT_EQ(printGraph(g), text);
  EXPECT_EQ(printGraph(cloneGraph(g)), text);
  g.nodes()[2]->perm = {0, 1};  // a corrupted permutation is caught
  EXPECT_NE(errorOf([&] { verifyGraph(g); }).find("disagrees with the shape rules"), std::string::npos);
  g.nodes()[2]->perm = {1, 0};
  g.nodes()[3]->perm = {0};
  EXPECT_NE(errorOf([&] { verifyGraph(g); }).find("has a permutation, which only transpose takes"), std::string::npos);
}

TEST(Ops, ParserErrorsForTheNewForms) {
  auto parseError = [](const std::string& body) {
    return errorOf([&] { parseGraph("graph @g {\n  %x = input : f32[2,3]\n" + body + "}\n", "t.sg"); });
  };
  EXPECT_EQ(parseError("  %0 = transpose %x : f32[3,2]\n"),
            "t.sg:3:21: error: expected '{perm=[...]}' after the operand of transpose but found ':'");
  EXPECT_EQ(parseError("  %0 = transpose %x {axes=[1,0]} : f32[3,2]\n"),
            "t.sg:3:22: error: expected the attribute perm but found 'axes'");
  EXPECT_EQ(parseError("  %0 = transpose %x {perm=[1,1]} : f32[2,2]\n"),
            "t.sg:3:8: error: transpose: {perm=[1,1]} is not a permutation of the 2 dimensions of f32[2,3]");
  EXPECT_EQ(parseError("  %0 = reshape %x : f32[5]\n"), "t.sg:3:8: error: reshape: f32[2,3] has 6 elements, [5] has 5");
  EXPECT_EQ(parseError("  %0 = reshape %x {perm=[0]} : f32[6]\n"),
            "t.sg:3:19: error: reshape takes no attributes but found '{'");
  EXPECT_EQ(parseError("  %0 = transpose %x {perm=[1,0]} : f32[2,3]\n"),
            "t.sg:3:36: error: type mismatch: %0 is declared f32[2,3] but transpose {perm=[1,0]} of f32[2,3] "
            "gives f32[3,2]");
}

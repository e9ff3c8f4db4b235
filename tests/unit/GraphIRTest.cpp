// The graph IR's text form (printer, parser) and its verifier.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>

#include "ir/Error.h"
#include "ir/Graph.h"
#include "ir/GraphParser.h"
#include "ir/GraphPrinter.h"
#include "ir/GraphVerifier.h"

using namespace sigma;

namespace {

TensorType f32(Shape shape) { return {DType::F32, std::move(shape)}; }

// Parses, verifies, prints; the printed text must parse back to itself.
std::string roundTrip(const std::string& text) {
  Graph g = parseGraph(text);
  verifyGraph(g);
  std::string printed = printGraph(g);
  Graph again = parseGraph(printed);
  verifyGraph(again);
  EXPECT_EQ(printGraph(again), printed);
  return printed;
}

std::string parseError(const std::string& text) {
  try {
    parseGraph(text, "t.sg");
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

std::string verifyError(const Graph& g) {
  try {
    verifyGraph(g);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

uint32_t bits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, sizeof b);
  return b;
}

// A small training step built through the builders, for printer and
// verifier tests.
Graph seedStep() {
  Graph g("seed_step");
  Node* x = g.input("x", f32({4, 2}));
  Node* w = g.parameter("l1.weight", f32({3, 2}));
  Node* b = g.parameter("l1.bias", f32({3}));
  Node* h = g.binary(Op::Add, g.matmul(x, w, false, true), b);
  Node* loss = g.reduceAll(Op::Sum, h);
  g.currentPart = Part::Backward;
  Node* half = g.scalar(0.5f);
  Node* grad = g.broadcast(half, {4, 3});
  Node* gw = g.matmul(grad, x, true, false);
  g.currentPart = Part::Update;
  Node* lr = g.constant(f32({3, 2}), {1, 2, 3, 4, 5, 6});
  Node* step = g.binary(Op::Mul, gw, lr);
  Node* neww = g.binary(Op::Sub, w, step);
  g.currentPart = Part::Forward;
  g.addOutput("loss", loss);
  g.addUpdate(w, neww);
  return g;
}

}  // namespace

TEST(GraphPrinter, PrintsEveryNodeWithItsType) {
  EXPECT_EQ(printGraph(seedStep()),
            "graph @seed_step {\n"
            "  %x = input : f32[4,2]\n"
            "  %l1.weight = param : f32[3,2]\n"
            "  %l1.bias = param : f32[3]\n"
            "  %0 = matmul %x, %l1.weight {transpose_b} : f32[4,3]\n"
            "  %1 = add %0, %l1.bias : f32[4,3]\n"
            "  %2 = sum %1 : f32[]\n"
            "  %3 = const 0.5 : f32[] #backward\n"
            "  %4 = broadcast %3 : f32[4,3] #backward\n"
            "  %5 = matmul %4, %x {transpose_a} : f32[3,2] #backward\n"
            "  %6 = const [1, 2, 3, 4, 5, 6] : f32[3,2] #update\n"
            "  %7 = mul %5, %6 : f32[3,2] #update\n"
            "  %8 = sub %l1.weight, %7 : f32[3,2] #update\n"
            "  output %loss = %2\n"
            "  update %l1.weight = %8\n"
            "}\n");
}

TEST(GraphPrinter, FloatsPrintShortestAndRoundTrip) {
  // The graph's constants print like integers when integral ("1", not "1.0").
  EXPECT_EQ(printFloat(0.1f, false), "0.1");
  EXPECT_EQ(printFloat(1.0f, false), "1");
  EXPECT_EQ(printFloat(-0.0f, false), "-0");
  EXPECT_EQ(printFloat(1e20f, false), "1e+20");
  EXPECT_EQ(printFloat(std::numeric_limits<float>::infinity(), false), "inf");
  EXPECT_EQ(printFloat(-std::numeric_limits<float>::infinity(), false), "-inf");
  EXPECT_EQ(printFloat(std::numeric_limits<float>::quiet_NaN(), false), "nan");
  EXPECT_EQ(printFloat(-std::numeric_limits<float>::quiet_NaN(), false), "-nan");
  EXPECT_EQ(printFloat(std::bit_cast<float>(0x7f800001u), false), "nan(0x7f800001)");
}

TEST(GraphParser, RejectsANaNWhoseBitsAreNotANaN) {
  for (const char* bad : {"nan(0x3f800000)", "nan(0x1ffc00000)", "nan(12)", "nan(0x)", "nan(0x7fc00001"}) {
    std::string text = std::string("graph @g {\n  %0 = const ") + bad + " : f32[]\n  output %y = %0\n}\n";
    try {
      parseGraph(text);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("<input>:2:"), std::string::npos) << bad << ": " << e.what();
    }
  }
}

TEST(GraphParser, RoundTripsSeedStep) {
  Graph g = seedStep();
  std::string text = printGraph(g);
  EXPECT_EQ(roundTrip(text), text);
  Graph parsed = parseGraph(text);
  // Names survive, numbers become unnamed nodes, parts and attributes survive.
  ASSERT_EQ(parsed.nodes().size(), g.nodes().size());
  for (size_t i = 0; i < g.nodes().size(); ++i) {
    const Node &a = *g.nodes()[i], &b = *parsed.nodes()[i];
    EXPECT_EQ(a.op, b.op);
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.part, b.part);
    EXPECT_EQ(a.type, b.type);
    EXPECT_EQ(a.transposeA, b.transposeA);
    EXPECT_EQ(a.transposeB, b.transposeB);
    EXPECT_EQ(a.values, b.values);
  }
  EXPECT_EQ(parsed.updates().at(0).parameter, parsed.find("l1.weight"));
  EXPECT_EQ(parsed.outputs().at(0).name, "loss");
}

TEST(GraphParser, RoundTripsEveryOp) {
  const std::string text =
      "graph @all_ops {\n"
      "  %x = input : f32[4,3]\n"
      "  %w = param : f32[4,3]\n"
      "  %v = param : f32[2,4]\n"
      "  %n = input : i32[2]\n"
      "  %0 = neg %x : f32[4,3]\n"
      "  %1 = abs %0 : f32[4,3]\n"
      "  %2 = sign %1 : f32[4,3]\n"
      "  %3 = square %2 : f32[4,3]\n"
      "  %4 = tanh %3 : f32[4,3]\n"
      "  %5 = add %4, %w : f32[4,3]\n"
      "  %6 = sub %5, %x : f32[4,3]\n"
      "  %7 = mul %6, %6 : f32[4,3]\n"
      "  %8 = div %7, %x : f32[4,3]\n"
      "  %9 = sum %8 : f32[3]\n"
      "  %10 = mean %8 : f32[4,1]\n"
      "  %11 = max %8 : f32[]\n"
      "  %12 = broadcast %9 : f32[2,4,3]\n"
      "  %13 = add %n, %n : i32[2]\n"
      "  %14 = matmul %x, %w {transpose_a} : f32[3,3]\n"
      "  %15 = matmul %x, %w {transpose_b} : f32[4,4]\n"
      "  %16 = matmul %x, %v {transpose_a, transpose_b} : f32[3,2]\n"
      "  %17 = matmul %14, %16 : f32[3,2]\n"
      "  %18 = const 2 : f32[4,3]\n"
      "  %19 = const [1, 2] : i32[2]\n"
      "  %20 = const [] : f32[0,3]\n"
      "  %21 = sum %20 : f32[3]\n"
      "  output %loss = %11\n"
      "  output %wide = %12\n"
      "  update %w = %5\n"
      "}\n";
  EXPECT_EQ(roundTrip(text), text);
}

TEST(GraphParser, RoundTripsPartsAndNames) {
  const std::string text =
      "graph @parts.v2 {\n"
      "  %in_0 = input : f32[2]\n"
      "  %p = param : f32[2]\n"
      "  %0 = neg %in_0 : f32[2]\n"
      "  %1 = mul %0, %p : f32[2] #backward\n"
      "  %L2.term = square %p : f32[2] #penalty\n"
      "  %2 = sub %p, %1 : f32[2] #update\n"
      "  %3 = max %p : f32[] #stats\n"
      "  %4 = sum %L2.term : f32[]\n"
      "  output %w_max = %3\n"
      "  output %0 = %4\n"
      "  update %p = %2\n"
      "}\n";
  EXPECT_EQ(roundTrip(text), text);
  Graph g = parseGraph(text);
  EXPECT_EQ(g.name(), "parts.v2");
  EXPECT_EQ(g.nodes()[4]->name, "L2.term");
  EXPECT_EQ(g.nodes()[4]->part, Part::Penalty);
  EXPECT_EQ(g.nodes()[6]->part, Part::Stats);
  EXPECT_EQ(g.nodes()[2]->name, "");
  EXPECT_EQ(g.outputs()[1].name, "0");  // output names are just names
}

TEST(GraphParser, FloatEdgeValuesAreBitIdentical) {
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> values = {0.1f,
                                     -0.0f,
                                     0.0f,
                                     1e-45f /* smallest denormal */,
                                     std::numeric_limits<float>::min(),
                                     std::numeric_limits<float>::max(),
                                     -std::numeric_limits<float>::max(),
                                     16777216.0f,
                                     1.0f / 3.0f,
                                     1e20f,
                                     -2.5e-7f,
                                     inf,
                                     -inf};
  Graph g("floats");
  Node* dense = g.constant(f32({int64_t(values.size())}), values);
  g.constant(f32({2}), {-0.0f});
  g.scalar(std::numeric_limits<float>::quiet_NaN());
  // Every NaN keeps its bits, sign and payload too: a constant folded from
  // a NaN input must not come back as another NaN.
  const uint32_t nans[] = {0x7fc00000u, 0xffc00000u, 0x7fc00001u, 0xffffffffu, 0x7f800001u, 0xff812345u};
  std::vector<float> nanValues;
  for (uint32_t p : nans) nanValues.push_back(std::bit_cast<float>(p));
  g.constant(f32({int64_t(nanValues.size())}), nanValues);
  g.addOutput("v", dense);
  std::string text = printGraph(g);
  EXPECT_NE(text.find("[nan, -nan, nan(0x7fc00001), nan(0xffffffff), nan(0x7f800001), nan(0xff812345)]"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("[0.1, -0, 0, 1e-45, 1.1754944e-38, 3.4028235e+38, -3.4028235e+38, 16777216, "
                      "0.33333334, 1e+20, -2.5e-07, inf, -inf]"),
            std::string::npos)
      << text;
  EXPECT_EQ(roundTrip(text), text);
  Graph parsed = parseGraph(text);
  const auto& got = parsed.nodes()[0]->values;
  ASSERT_EQ(got.size(), values.size());
  for (size_t i = 0; i < values.size(); ++i) EXPECT_EQ(bits(got[i]), bits(values[i])) << i;
  EXPECT_EQ(bits(parsed.nodes()[1]->splatValue()), bits(-0.0f));
  EXPECT_EQ(bits(parsed.nodes()[2]->splatValue()), 0x7fc00000u);
  const auto& gotNans = parsed.nodes()[3]->values;
  ASSERT_EQ(gotNans.size(), std::size(nans));
  for (size_t i = 0; i < gotNans.size(); ++i) EXPECT_EQ(bits(gotNans[i]), nans[i]) << i;
}

TEST(GraphParser, SkipsCommentsAndRenumbersUnnamedNodes) {
  Graph g = parseGraph(
      "// RUN: sigma opt %s | FileCheck %s\n"
      "graph @g{%x=input:f32[2] // trailing comment\n"
      "  %7 = neg %x : f32[ 2 ]   // CHECK: %0 = neg %x\n"
      "  %3 = abs %7 : f32[2]\n"
      "  output %y = %3 }\n"
      "// after the graph\n");
  EXPECT_EQ(printGraph(g),
            "graph @g {\n"
            "  %x = input : f32[2]\n"
            "  %0 = neg %x : f32[2]\n"
            "  %1 = abs %0 : f32[2]\n"
            "  output %y = %1\n"
            "}\n");
  EXPECT_EQ(printGraph(parseGraph("graph @empty {}")), "graph @empty {\n}\n");
}

TEST(GraphParser, ReportsSyntaxErrorsWithLocation) {
  EXPECT_EQ(parseError(""),
            "t.sg:1:1: error: expected 'graph' at the start of the input but found end of input");
  EXPECT_EQ(parseError("graph g {}"), "t.sg:1:7: error: expected the graph's name ('@name') but found 'g'");
  EXPECT_EQ(parseError("graph @g }"), "t.sg:1:10: error: expected '{' after the graph's name but found '}'");
  EXPECT_EQ(
      parseError("graph @g {\n  %x = input : f32[2]\n"),
      "t.sg:3:1: error: expected a node ('%name = ...'), 'output', 'update' or '}' but found end of input");
  EXPECT_EQ(parseError("graph @g {} x"),
            "t.sg:1:13: error: expected end of input after the graph's '}' but found 'x'");
  EXPECT_EQ(parseError("graph @g {\n  % = input : f32[2]\n}"),
            "t.sg:2:3: error: expected a name after '%' but found ' '");
  EXPECT_EQ(parseError("graph @g {\n  %x = input : f32[2] $\n}"),
            "t.sg:2:23: error: unexpected character '$'");
  EXPECT_EQ(parseError("graph @g {\n  %x input : f32[2]\n}"),
            "t.sg:2:6: error: expected '=' after %x but found 'input'");
  EXPECT_EQ(
      parseError("graph @g {\n  %x = relu : f32[2]\n}"),
      "t.sg:2:8: error: expected an op (input, param, const, neg, abs, sign, square, tanh, sqrt, exp, log, add, sub, "
      "mul, div, maximum, minimum, ge, broadcast, sum, mean, max, min, matmul, transpose, reshape, gather, "
      "scatter_add) but found 'relu'");
  EXPECT_EQ(parseError("graph @g {\n  %x = input f32[2]\n}"),
            "t.sg:2:14: error: expected ':' and the type after 'input' but found 'f32'");
  EXPECT_EQ(parseError("graph @g {\n  %x = input : f64[2]\n}"),
            "t.sg:2:16: error: expected a type (f32[...] or i32[...]) but found 'f64'");
  EXPECT_EQ(parseError("graph @g {\n  %x = input : f32\n}"),
            "t.sg:3:1: error: expected '[' and the shape after the element type but found '}'");
  EXPECT_EQ(parseError("graph @g {\n  %x = input : f32[2;3]\n}"),
            "t.sg:2:21: error: unexpected character ';'");
  EXPECT_EQ(parseError("graph @g {\n  %x = input : f32[2 3]\n}"),
            "t.sg:2:22: error: expected ',' or ']' in the shape but found '3'");
  EXPECT_EQ(parseError("graph @g {\n  %x = input : f32[-2]\n}"),
            "t.sg:2:20: error: expected a dimension (a non-negative integer) but found '-2'");
  EXPECT_EQ(parseError("graph @g {\n  %x = input : f32[99999999999999999999]\n}"),
            "t.sg:2:20: error: dimension 99999999999999999999 is too large");
  EXPECT_EQ(parseError("graph @g {\n  %x = input : f32[4294967296,4294967296]\n}"),
            "t.sg:2:41: error: type f32[4294967296,4294967296] has too many elements");
  EXPECT_EQ(parseError(std::string("graph @g {\n  %x = input - f32[2]\n}")),
            "t.sg:2:14: error: unexpected character '-'");
  EXPECT_EQ(parseError(std::string("graph @g {\n  %x = input \0 : f32[2]\n}", 35)),
            "t.sg:2:14: error: unexpected character byte 0x00");
  EXPECT_EQ(parseError("graph @g {\n  %"),
            "t.sg:2:3: error: expected a name after '%' but found end of input");
  EXPECT_EQ(parseError("graph @g {\n  %x = input : f32[2] #sideways\n}"),
            "t.sg:2:23: error: expected a part (#forward, #backward, #penalty, #update or #stats) but found "
            "'#sideways'");
}

TEST(GraphParser, ReportsOperandAndAttributeErrors) {
  const std::string head = "graph @g {\n  %x = input : f32[4,3]\n";
  EXPECT_EQ(parseError(head + "  %0 = add %x : f32[4,3]\n}"),
            "t.sg:3:15: error: expected ',' and another operand (add takes 2) but found ':'");
  EXPECT_EQ(
      parseError(head + "  %0 = neg %x, %x : f32[4,3]\n}"),
      "t.sg:3:14: error: expected ':' and the type after the operand of neg (it takes 1) but found ','");
  EXPECT_EQ(parseError(head + "  %0 = neg : f32[4,3]\n}"),
            "t.sg:3:12: error: expected an operand ('%name') for neg but found ':'");
  EXPECT_EQ(parseError(head + "  %0 = neg %y : f32[4,3]\n}"), "t.sg:3:12: error: use of undefined value %y");
  EXPECT_EQ(parseError(head + "  %0 = neg %0 : f32[4,3]\n}"), "t.sg:3:12: error: use of undefined value %0");
  EXPECT_EQ(parseError(head + "  %x = neg %x : f32[4,3]\n}"),
            "t.sg:3:3: error: redefinition of value %x (first defined at 2:3)");
  EXPECT_EQ(parseError(head + "  %0 = add %x, %x {transpose_a} : f32[4,3]\n}"),
            "t.sg:3:19: error: add takes no attributes but found '{'");
  EXPECT_EQ(parseError(head + "  %0 = matmul %x, %x {transpose_c} : f32[4,4]\n}"),
            "t.sg:3:23: error: expected an attribute (transpose_a or transpose_b) but found 'transpose_c'");
  EXPECT_EQ(parseError(head + "  %0 = matmul %x, %x {transpose_b, transpose_b} : f32[4,4]\n}"),
            "t.sg:3:36: error: attribute transpose_b is given twice");
  EXPECT_EQ(parseError(head + "  %0 = matmul %x, %x {transpose_b : f32[4,4]\n}"),
            "t.sg:3:35: error: expected ',' or '}' after an attribute but found ':'");
  EXPECT_EQ(parseError(head + "  %0 = matmul %x, %x transpose_b : f32[4,4]\n}"),
            "t.sg:3:22: error: expected ':' and the type after the operands of matmul (it takes 2) or its "
            "attributes but found 'transpose_b'");
}

TEST(GraphParser, ReportsConstantErrors) {
  const std::string head = "graph @g {\n";
  EXPECT_EQ(parseError(head + "  %c = const : f32[]\n}"),
            "t.sg:2:14: error: expected a number but found ':'");
  EXPECT_EQ(parseError(head + "  %c = const 1.5f : f32[]\n}"),
            "t.sg:2:14: error: expected a number but found '1.5f'");
  EXPECT_EQ(parseError(head + "  %c = const 1e39 : f32[]\n}"),
            "t.sg:2:14: error: number 1e39 is out of range for f32");
  EXPECT_EQ(parseError(head + "  %c = const [1, 2 : f32[2]\n}"),
            "t.sg:2:20: error: expected ',' or ']' in the constant's values but found ':'");
  EXPECT_EQ(parseError(head + "  %c = const [1, 2] : f32[3]\n}"),
            "t.sg:2:8: error: const f32[3]: 2 values given, expected 1 (a splat) or 3");
}

TEST(GraphParser, ReportsShapeAndTypeErrors) {
  const std::string head = "graph @g {\n  %x = input : f32[4,3]\n  %w = param : f32[3,2]\n";
  // The builders' messages (op and operand types), at the op.
  EXPECT_EQ(parseError(head + "  %0 = add %x, %w : f32[4,3]\n}"),
            "t.sg:4:8: error: add: operand types f32[4,3] and f32[3,2] do not broadcast");
  EXPECT_EQ(parseError(head + "  %0 = matmul %w, %x : f32[3,3]\n}"),
            "t.sg:4:8: error: matmul: inner dimensions differ (2 vs 4) for operands f32[3,2] and f32[4,3]");
  EXPECT_EQ(
      parseError(head + "  %0 = sum %x : f32[2]\n}"),
      "t.sg:4:8: error: sum: cannot reduce f32[4,3] to [2] (the result must broadcast back to the operand)");
  EXPECT_EQ(parseError(head + "  %0 = broadcast %x : f32[3]\n}"),
            "t.sg:4:8: error: broadcast: f32[4,3] does not broadcast to [3]");
  // A declared type that differs from the inferred one, at the type.
  EXPECT_EQ(parseError(head + "  %b = input : f32[3]\n  %3 = add %x, %b : f32[4,4]\n}"),
            "t.sg:5:21: error: type mismatch: %3 is declared f32[4,4] but add of f32[4,3] and f32[3] gives "
            "f32[4,3]");
  EXPECT_EQ(parseError(head + "  %0 = matmul %x, %w {transpose_b} : f32[4,2]\n}"),
            "t.sg:4:8: error: matmul transpose_b: inner dimensions differ (3 vs 2) for operands f32[4,3] and "
            "f32[3,2]");
  EXPECT_EQ(
      parseError(head + "  %0 = matmul %x, %x {transpose_a} : f32[4,4]\n}"),
      "t.sg:4:38: error: type mismatch: %0 is declared f32[4,4] but matmul {transpose_a} of f32[4,3] and "
      "f32[4,3] gives f32[3,3]");
  EXPECT_EQ(parseError(head + "  %0 = sum %x : i32[]\n}"),
            "t.sg:4:17: error: type mismatch: %0 is declared i32[] but sum of f32[4,3] gives f32[]");
}

TEST(GraphParser, ReportsOutputAndUpdateErrors) {
  const std::string head =
      "graph @g {\n  %x = input : f32[3]\n  %w = param : f32[3]\n  %0 = neg %w : f32[3]\n";
  EXPECT_EQ(parseError(head + "  output loss = %0\n}"),
            "t.sg:5:10: error: expected the output's name ('%name') but found 'loss'");
  EXPECT_EQ(parseError(head + "  output %loss = %1\n}"), "t.sg:5:18: error: use of undefined value %1");
  EXPECT_EQ(parseError(head + "  output %loss = %0\n  output %loss = %x\n}"),
            "t.sg:6:10: error: output %loss is defined twice");
  EXPECT_EQ(parseError(head + "  update %x = %0\n}"),
            "t.sg:5:10: error: cannot update %x: it is defined by input, only parameters can be updated");
  EXPECT_EQ(parseError(head + "  %s = sum %w : f32[]\n  update %w = %s\n}"),
            "t.sg:6:15: error: update of %w: the new value %s has type f32[] but the parameter is f32[3]");
  EXPECT_EQ(parseError(head + "  update %w = %0\n  update %w = %x\n}"),
            "t.sg:6:10: error: parameter %w is updated twice (first at 5:10)");
  EXPECT_EQ(parseError(head + "  update %w %0\n}"),
            "t.sg:5:13: error: expected '=' after update %w but found '%0'");
}

TEST(GraphParser, FileNameDefaultsAndMissingFiles) {
  try {
    parseGraph("graph");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "<input>:1:6: error: expected the graph's name ('@name') but found end of input");
  }
  EXPECT_THROW(parseGraphFile("/nonexistent/g.sg"), Error);
}

TEST(GraphVerifier, AcceptsBuiltParsedAndClonedGraphs) {
  Graph g = seedStep();
  EXPECT_NO_THROW(verifyGraph(g));
  Graph clone = cloneGraph(g);
  EXPECT_NO_THROW(verifyGraph(clone));
  EXPECT_EQ(printGraph(clone), printGraph(g));
}

// Each test corrupts a fresh seed step by hand. Node positions:
// 0 %x, 1 %l1.weight, 2 %l1.bias, 3 %0 matmul, 4 %1 add, 5 %2 sum,
// 6 %3 const, 7 %4 broadcast, 8 %5 matmul, 9 %6 const, 10 %7 mul, 11 %8 sub.
static Node* at(Graph& g, int i) { return g.nodes()[i].get(); }

// The verifier's message for a seed step corrupted by `corrupt`.
static std::string corrupted(const std::function<void(Graph&)>& corrupt) {
  Graph g = seedStep();
  corrupt(g);
  return verifyError(g);
}

TEST(GraphVerifier, ReportsStructuralErrors) {
  Graph other("other");
  Node* stranger = other.parameter("b", f32({3}));
  EXPECT_EQ(corrupted([&](Graph& g) { at(g, 4)->id = 7; }),
            "graph @seed_step: %1 (add): id is 7 but the node is at position 4");
  EXPECT_EQ(corrupted([&](Graph& g) { at(g, 4)->inputs[0] = at(g, 9); }),  // a later const
            "graph @seed_step: %1 (add): operand 0 (%6) does not come before its user (topological order)");
  EXPECT_EQ(corrupted([&](Graph& g) { at(g, 4)->inputs[1] = stranger; }),
            "graph @seed_step: %1 (add): operand 1 is not a node of this graph");
  EXPECT_EQ(corrupted([&](Graph& g) { at(g, 4)->inputs.pop_back(); }),
            "graph @seed_step: %1 (add): has 1 operands, add takes 2");
  EXPECT_EQ(corrupted([&](Graph& g) { at(g, 2)->name = "x"; }),
            "graph @seed_step: duplicate name %x (nodes at positions 0 and 2)");
  EXPECT_EQ(corrupted([&](Graph& g) { at(g, 2)->name = "l1/bias"; }),
            "graph @seed_step: %l1/bias (param): the name 'l1/bias' is not made of [A-Za-z0-9_.]");
  EXPECT_EQ(corrupted([&](Graph& g) { at(g, 5)->name = "12"; }),
            "graph @seed_step: %12 (sum): the name '12' is all digits, which the text form reserves for "
            "unnamed nodes");
  EXPECT_EQ(corrupted([&](Graph& g) { g.setName("seed step"); }),
            "graph @seed step: the graph's name 'seed step' is not made of [A-Za-z0-9_.]");
}

TEST(GraphVerifier, ReportsTypeAndAttributeErrors) {
  EXPECT_EQ(corrupted([&](Graph& g) {
              at(g, 4)->type = f32({4, 4});
            }),
            "graph @seed_step: %1 (add): type f32[4,4] disagrees with the shape rules: add of f32[4,3] and "
            "f32[3] gives f32[4,3]");
  EXPECT_EQ(
      corrupted([&](Graph& g) { at(g, 8)->transposeA = false; }),
      "graph @seed_step: %5: matmul: inner dimensions differ (3 vs 4) for operands f32[4,3] and f32[4,2]");
  EXPECT_EQ(corrupted([&](Graph& g) { at(g, 5)->type = f32({2}); }),
            "graph @seed_step: %2: sum: cannot reduce f32[4,3] to [2] (the result must broadcast back to the "
            "operand)");
  EXPECT_EQ(corrupted([&](Graph& g) { at(g, 2)->type = f32({-3}); }),
            "graph @seed_step: %l1.bias (param): type f32[-3] has a negative dimension");
  EXPECT_EQ(corrupted([&](Graph& g) { at(g, 9)->values.pop_back(); }),
            "graph @seed_step: %6 (const): has 5 values, a f32[3,2] constant needs 1 (a splat) or 6");
  EXPECT_EQ(corrupted([&](Graph& g) { at(g, 4)->transposeA = true; }),
            "graph @seed_step: %1 (add): has transpose attributes, which only matmul takes");
  EXPECT_EQ(corrupted([&](Graph& g) { at(g, 0)->values = {1}; }),
            "graph @seed_step: %x (input): has constant values, which only const takes");
}

TEST(GraphVerifier, ReportsOutputAndUpdateErrors) {
  Graph other("other");
  Node* stranger = other.parameter("s", f32({3, 2}));
  EXPECT_EQ(corrupted([&](Graph& g) { g.outputs()[0].value = stranger; }),
            "graph @seed_step: output %loss refers to a node that is not in the graph");
  EXPECT_EQ(corrupted([&](Graph& g) { g.outputs().push_back(g.outputs()[0]); }),
            "graph @seed_step: output %loss is defined twice");
  EXPECT_EQ(corrupted([&](Graph& g) { g.outputs()[0].name = "the loss"; }),
            "graph @seed_step: output 'the loss': the name is not made of [A-Za-z0-9_.]");
  EXPECT_EQ(corrupted([&](Graph& g) { g.updates()[0].value = stranger; }),
            "graph @seed_step: update of %l1.weight: the new value is a node that is not in the graph");
  EXPECT_EQ(corrupted([&](Graph& g) { g.updates()[0].parameter = stranger; }),
            "graph @seed_step: an update sets a node that is not in the graph");
  EXPECT_EQ(corrupted([&](Graph& g) { g.updates()[0].parameter = at(g, 0); }),
            "graph @seed_step: update of %x: it is defined by input, only parameters can be updated");
  EXPECT_EQ(corrupted([&](Graph& g) { g.updates()[0].value = at(g, 5); }),
            "graph @seed_step: update of %l1.weight: the new value %2 has type f32[] but the parameter is "
            "f32[3,2]");
  EXPECT_EQ(corrupted([&](Graph& g) { g.updates().push_back(g.updates()[0]); }),
            "graph @seed_step: parameter %l1.weight is updated twice");
}

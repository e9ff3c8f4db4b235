#include <gtest/gtest.h>

#include "ir/Error.h"
#include "ir/Graph.h"

using namespace sigma;

TEST(Type, BroadcastFollowsNumPy) {
  Shape out;
  EXPECT_TRUE(broadcastShapes({4, 3}, {3}, out));
  EXPECT_EQ(out, (Shape{4, 3}));
  EXPECT_TRUE(broadcastShapes({4, 1}, {1, 3}, out));
  EXPECT_EQ(out, (Shape{4, 3}));
  EXPECT_FALSE(broadcastShapes({4, 3}, {2, 3}, out));
  EXPECT_TRUE(broadcastsTo({}, {4, 3}));
  EXPECT_FALSE(broadcastsTo({4, 3}, {3}));
}

TEST(Graph, InfersTypesAndNamesTheOpOnMismatch) {
  Graph g("t");
  Node* x = g.input("x", {DType::F32, {4, 2}});
  Node* w = g.parameter("w", {DType::F32, {3, 2}});
  Node* y = g.matmul(x, w, false, true);
  EXPECT_EQ(y->type.str(), "f32[4,3]");
  try {
    g.matmul(x, w);
    FAIL() << "expected a shape error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "matmul: inner dimensions differ (2 vs 3) for operands f32[4,2] and f32[3,2]");
  }
  try {
    g.binary(Op::Add, y, x);
    FAIL() << "expected a broadcast error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "add: operand types f32[4,3] and f32[4,2] do not broadcast");
  }
  EXPECT_EQ(g.reduceAll(Op::Sum, y)->type.str(), "f32[]");
  EXPECT_THROW(g.reduce(Op::Sum, y, {2}), Error);
}

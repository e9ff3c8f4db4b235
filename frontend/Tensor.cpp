#include "frontend/Tensor.h"

#include "ir/Error.h"

namespace sigma {

namespace {
Graph* sameGraph(const Tensor& a, const Tensor& b, const char* op) {
  if (!a.valid() || !b.valid()) fail("{}: operand is an empty Tensor", op);
  if (a.graph() != b.graph()) fail("{}: operands belong to different graphs", op);
  return a.graph();
}
Tensor binary(Op op, Tensor a, Tensor b) {
  Graph* g = sameGraph(a, b, opName(op));
  return {g, g->binary(op, a.node(), b.node())};
}
Tensor unary(Op op, Tensor x) {
  if (!x.valid()) fail("{}: operand is an empty Tensor", opName(op));
  return {x.graph(), x.graph()->unary(op, x.node())};
}
Tensor reduce(Op op, Tensor x, Shape to) {
  if (!x.valid()) fail("{}: operand is an empty Tensor", opName(op));
  return {x.graph(), x.graph()->reduce(op, x.node(), std::move(to))};
}
}  // namespace

Tensor operator+(Tensor a, Tensor b) { return binary(Op::Add, a, b); }
Tensor operator-(Tensor a, Tensor b) { return binary(Op::Sub, a, b); }
Tensor operator*(Tensor a, Tensor b) { return binary(Op::Mul, a, b); }
Tensor operator/(Tensor a, Tensor b) { return binary(Op::Div, a, b); }
Tensor operator-(Tensor a) { return unary(Op::Neg, a); }
Tensor operator+(Tensor a, float b) { return a + constant(a.graph(), b); }
Tensor operator-(Tensor a, float b) { return a - constant(a.graph(), b); }
Tensor operator*(Tensor a, float b) { return a * constant(a.graph(), b); }
Tensor operator*(float a, Tensor b) { return constant(b.graph(), a) * b; }
Tensor operator-(float a, Tensor b) { return constant(b.graph(), a) - b; }

Tensor constant(Graph* graph, float value) { return {graph, graph->scalar(value)}; }
Tensor abs(Tensor x) { return unary(Op::Abs, x); }
Tensor sign(Tensor x) { return unary(Op::Sign, x); }
Tensor square(Tensor x) { return unary(Op::Square, x); }
Tensor tanh(Tensor x) { return unary(Op::Tanh, x); }

Tensor matmul(Tensor a, Tensor b, bool transposeA, bool transposeB) {
  Graph* g = sameGraph(a, b, "matmul");
  return {g, g->matmul(a.node(), b.node(), transposeA, transposeB)};
}

Tensor broadcast(Tensor x, Shape to) {
  if (!x.valid()) fail("broadcast: operand is an empty Tensor");
  return {x.graph(), x.graph()->broadcast(x.node(), std::move(to))};
}

Tensor sum(Tensor x) { return reduce(Op::Sum, x, {}); }
Tensor sum(Tensor x, Shape to) { return reduce(Op::Sum, x, std::move(to)); }
Tensor mean(Tensor x) { return reduce(Op::Mean, x, {}); }
Tensor mean(Tensor x, Shape to) { return reduce(Op::Mean, x, std::move(to)); }
Tensor max(Tensor x) { return reduce(Op::Max, x, {}); }
Tensor max(Tensor x, Shape to) { return reduce(Op::Max, x, std::move(to)); }

}  // namespace sigma

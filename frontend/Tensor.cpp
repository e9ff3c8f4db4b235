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
Tensor operator+(float a, Tensor b) { return constant(b.graph(), a) + b; }
Tensor operator/(Tensor a, float b) { return a / constant(a.graph(), b); }
Tensor operator/(float a, Tensor b) { return constant(b.graph(), a) / b; }

Tensor constant(Graph* graph, float value) {
  if (!graph) fail("constant {}: no graph to add it to (an operand is an empty Tensor)", value);
  return {graph, graph->scalar(value)};
}
Tensor abs(Tensor x) { return unary(Op::Abs, x); }
Tensor sign(Tensor x) { return unary(Op::Sign, x); }
Tensor square(Tensor x) { return unary(Op::Square, x); }
Tensor tanh(Tensor x) { return unary(Op::Tanh, x); }
Tensor sqrt(Tensor x) { return unary(Op::Sqrt, x); }

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
Tensor min(Tensor x) { return reduce(Op::Min, x, {}); }
Tensor min(Tensor x, Shape to) { return reduce(Op::Min, x, std::move(to)); }

// ------------------------------------------------------------ primitives

Tensor exp(Tensor x) { return unary(Op::Exp, x); }
Tensor log(Tensor x) { return unary(Op::Log, x); }
Tensor maximum(Tensor a, Tensor b) { return binary(Op::Maximum, a, b); }
Tensor minimum(Tensor a, Tensor b) { return binary(Op::Minimum, a, b); }
Tensor maximum(Tensor a, float b) { return maximum(a, constant(a.graph(), b)); }
Tensor maximum(float a, Tensor b) { return maximum(constant(b.graph(), a), b); }
Tensor minimum(Tensor a, float b) { return minimum(a, constant(a.graph(), b)); }
Tensor minimum(float a, Tensor b) { return minimum(constant(b.graph(), a), b); }
Tensor ge(Tensor a, Tensor b) { return binary(Op::Ge, a, b); }

Tensor transpose(Tensor x, std::vector<int64_t> perm) {
  if (!x.valid()) fail("transpose: operand is an empty Tensor");
  return {x.graph(), x.graph()->transpose(x.node(), std::move(perm))};
}

Tensor transpose(Tensor x) {
  if (x.valid() && x.shape().size() != 2)
    fail("transpose: {} is not 2-D; give the permutation: transpose(x, perm)", x.type().str());
  return transpose(x, {1, 0});
}

Tensor reshape(Tensor x, Shape to) {
  if (!x.valid()) fail("reshape: operand is an empty Tensor");
  return {x.graph(), x.graph()->reshape(x.node(), std::move(to))};
}

Tensor gather(Tensor table, Tensor indices) {
  Graph* g = sameGraph(table, indices, "gather");
  return {g, g->gather(table.node(), indices.node())};
}

Tensor scatter_add(Tensor src, Tensor indices, Shape to) {
  Graph* g = sameGraph(src, indices, "scatter_add");
  return {g, g->scatterAdd(src.node(), indices.node(), std::move(to))};
}

// ------------------------------------------------------------ compositions

// The operand order of maximum decides the derivative at the kink (ties go
// to the first operand): the constant (or a·x) first gives PyTorch's.
Tensor relu(Tensor x) { return maximum(0.0f, x); }

Tensor leaky_relu(Tensor x, float negativeSlope) {
  // maximum(a·x, x) is x for x >= 0 and a·x below only when 0 <= a <= 1;
  // a = 1 would be the identity, so that is refused as a likely mistake.
  if (!(negativeSlope >= 0.0f && negativeSlope < 1.0f))
    fail("leaky_relu: the negative slope must be in [0, 1), got {}", negativeSlope);
  return maximum(negativeSlope * x, x);
}

// Why not 1/(1+exp(-x)): its forward value saturates well (exp overflows to
// inf, 1/inf = 0), but its backward pass does not: for x < -88 the exp
// rule multiplies a zero adjoint by exp(-x) = inf, which is NaN. tanh is
// bounded both ways and its derivative 1 - tanh² goes smoothly to 0, so this
// form never overflows, forward or backward. What it gives up is relative
// precision in the far-left tail (sigmoid(-20) ≈ 2e-9 comes out as 0: an
// absolute error below 6e-8), harmless for an activation; a loss that needs
// log(sigmoid(x)) should use bce_with_logits, which is exact there.
Tensor sigmoid(Tensor x) { return tanh(x * 0.5f) * 0.5f + 0.5f; }

Tensor gelu(Tensor x) {
  const float c = 0.7978845608028654f;  // √(2/π)
  // x + 0.044715·x³ = x·(1 + 0.044715·x²), scaled by c in one constant.
  Tensor inner = x * (c + (c * 0.044715f) * square(x));
  return (x * 0.5f) * (tanh(inner) + 1.0f);
}

namespace {
// The shape of a per-row statistic: x's shape with the last axis reduced to 1.
Shape rowShape(const Tensor& x, const char* op) {
  if (!x.valid()) fail("{}: operand is an empty Tensor", op);
  if (x.shape().empty()) fail("{}: needs at least one axis, got {}", op, x.type().str());
  Shape s = x.shape();
  s.back() = 1;
  return s;
}

// x - max over the last axis: every row's largest entry becomes 0, so exp
// never overflows and the row sum is at least 1 (its log is finite). The
// max is not detached: its gradient rule lets the gradient flow through it,
// and mathematically that contribution is zero (softmax and log_softmax do
// not change when a row is shifted), so it is correct either way.
Tensor shiftedByRowMax(Tensor x, const Shape& rows) { return x - max(x, rows); }
}  // namespace

Tensor softmax(Tensor x) {
  Shape rows = rowShape(x, "softmax");
  Tensor e = exp(shiftedByRowMax(x, rows));
  return e / sum(e, rows);
}

Tensor log_softmax(Tensor x) {
  Shape rows = rowShape(x, "log_softmax");
  Tensor z = shiftedByRowMax(x, rows);
  return z - log(sum(exp(z), rows));
}

Tensor cross_entropy_from_logits(Tensor logits, Tensor target) {
  sameGraph(logits, target, "cross_entropy");
  if (logits.type() != target.type())
    fail("cross_entropy: logits {} and target {} differ (targets are one-hot rows of the logits' shape)",
         logits.type().str(), target.type().str());
  rowShape(logits, "cross_entropy");
  int64_t classes = logits.shape().back(), rows = classes ? logits.type().size() / classes : 0;
  return sum(target * log_softmax(logits)) * float(rows ? -1.0 / double(rows) : 0.0);
}

Tensor bce_with_logits(Tensor logits, Tensor target) {
  sameGraph(logits, target, "bce_with_logits");
  if (logits.type() != target.type())
    fail("bce_with_logits: logits {} and target {} differ", logits.type().str(), target.type().str());
  // max(x,0) is written (x + |x|)/2, so that the kinks of max and |x| at 0 are
  // one kink: the derivative of 0.5·|x| + log(1 + exp(-|x|)) w.r.t. |x| is
  // 0.5 - sigmoid(0) = 0 there, so whatever sign(0) is, d/dx at x = 0 comes
  // out as sigmoid(0) - t = 0.5 - t. With max(x,0) and |x| separate their
  // subgradients at 0 (1 and 0) would give 1 - t, which is wrong, and
  // logits exactly 0 (a zero-initialized last layer) are common.
  Tensor a = abs(logits);
  Tensor perElement = (logits + a) * 0.5f - logits * target + log(exp(-a) + 1.0f);
  return mean(perElement);
}

}  // namespace sigma

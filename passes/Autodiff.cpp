#include "passes/Autodiff.h"

#include <unordered_map>
#include <unordered_set>

#include "ir/Error.h"

namespace sigma {

namespace {

// Sums a gradient down to `shape`: the adjoint of NumPy broadcasting.
Node* sumTo(Graph& g, Node* grad, const Shape& shape) {
  return grad->type.shape == shape ? grad : g.reduce(Op::Sum, grad, shape);
}

Node* mul(Graph& g, Node* a, Node* b) { return g.binary(Op::Mul, a, b); }

// The gradient rules: for node `n` with adjoint `grad`, call
// contribute(operand index, [&] { return gradient w.r.t. that operand; }).
// The gradient is built only when that operand needs one.
template <typename Contribute>
void applyGradientRule(Graph& g, Node* n, Node* grad, Contribute contribute) {
  Node* a = n->inputs.empty() ? nullptr : n->inputs[0];
  Node* b = n->inputs.size() > 1 ? n->inputs[1] : nullptr;
  switch (n->op) {
    case Op::Input:
    case Op::Parameter:
    case Op::Constant:
    case Op::Sign:  // piecewise constant: zero gradient almost everywhere
      return;
    case Op::Neg: return contribute(0, [&] { return g.unary(Op::Neg, grad); });
    case Op::Abs:  // d|x| = sign(x), with sign(0) = 0
      return contribute(0, [&] { return mul(g, grad, g.unary(Op::Sign, a)); });
    case Op::Square: return contribute(0, [&] { return mul(g, grad, mul(g, g.scalar(2), a)); });
    case Op::Tanh:  // d tanh(x) = 1 - tanh(x)², from the forward value itself
      return contribute(0, [&] { return mul(g, grad, g.binary(Op::Sub, g.scalar(1), g.unary(Op::Square, n))); });
    case Op::Add:
      contribute(0, [&] { return sumTo(g, grad, a->type.shape); });
      return contribute(1, [&] { return sumTo(g, grad, b->type.shape); });
    case Op::Sub:
      contribute(0, [&] { return sumTo(g, grad, a->type.shape); });
      return contribute(1, [&] { return sumTo(g, g.unary(Op::Neg, grad), b->type.shape); });
    case Op::Mul:
      contribute(0, [&] { return sumTo(g, mul(g, grad, b), a->type.shape); });
      return contribute(1, [&] { return sumTo(g, mul(g, grad, a), b->type.shape); });
    case Op::Div:  // d(a/b) = da/b - (a/b)·db/b, reusing the forward value a/b
      contribute(0, [&] { return sumTo(g, g.binary(Op::Div, grad, b), a->type.shape); });
      return contribute(1, [&] {
        return sumTo(g, g.unary(Op::Neg, mul(g, grad, g.binary(Op::Div, n, b))), b->type.shape);
      });
    case Op::Broadcast: return contribute(0, [&] { return sumTo(g, grad, a->type.shape); });
    case Op::Sum: return contribute(0, [&] { return g.broadcast(grad, a->type.shape); });
    case Op::Mean:
      return contribute(0, [&] {
        float scale = float(double(n->type.size()) / double(a->type.size()));
        return mul(g, g.broadcast(grad, a->type.shape), g.scalar(scale));
      });
    case Op::Max:
      fail("autodiff: no gradient rule for max (%{}); it is only used for statistics", n->id);
    case Op::MatMul: {
      // C = op(A)·op(B): d op(A) = G·op(B)ᵀ, d op(B) = op(A)ᵀ·G, transposed back
      // when the operand itself was used transposed.
      bool ta = n->transposeA, tb = n->transposeB;
      contribute(0, [&] { return ta ? g.matmul(b, grad, tb, true) : g.matmul(grad, b, false, !tb); });
      return contribute(1, [&] { return tb ? g.matmul(grad, a, true, ta) : g.matmul(a, grad, !ta, false); });
    }
  }
}

}  // namespace

std::vector<Node*> differentiate(Graph& graph, Node* loss, const std::vector<Node*>& wrt) {
  if (loss->type.size() != 1)
    fail("autodiff: the loss must be a scalar, %{} has type {}", loss->name.empty() ? std::to_string(loss->id) : loss->name,
         loss->type.str());

  // Nodes that depend on some x in wrt (forward reachability in topological order).
  std::unordered_set<const Node*> needsGrad(wrt.begin(), wrt.end());
  const size_t forwardEnd = graph.nodes().size();
  for (size_t i = 0; i < forwardEnd; ++i) {
    Node* n = graph.nodes()[i].get();
    for (Node* in : n->inputs)
      if (needsGrad.count(in)) needsGrad.insert(n);
  }

  Part saved = graph.currentPart;
  graph.currentPart = Part::Backward;
  std::unordered_map<const Node*, Node*> adjoint;
  adjoint[loss] = graph.constant(loss->type, {1.0f});

  // Reverse topological order: every user of a node is visited before it.
  for (size_t i = size_t(loss->id) + 1; i-- > 0;) {
    Node* n = graph.nodes()[i].get();
    auto it = adjoint.find(n);
    if (it == adjoint.end() || !needsGrad.count(n)) continue;
    applyGradientRule(graph, n, it->second, [&](int operand, auto makeGrad) {
      Node* x = n->inputs[operand];
      if (!needsGrad.count(x)) return;
      Node* grad = makeGrad();
      Node*& acc = adjoint[x];
      acc = acc ? graph.binary(Op::Add, acc, grad) : grad;
    });
  }

  std::vector<Node*> grads;
  for (Node* x : wrt) {
    auto it = adjoint.find(x);
    grads.push_back(it != adjoint.end() ? it->second : graph.constant(x->type, {0.0f}));
  }
  graph.currentPart = saved;
  return grads;
}

}  // namespace sigma

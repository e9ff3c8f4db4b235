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

// 1 - mask: the complement of a ge mask.
Node* complement(Graph& g, Node* mask) { return g.binary(Op::Sub, g.scalar(1), mask); }

// max/min reductions (PyTorch's amax/amin semantics): the gradient is shared
// evenly among the elements equal to the extremum, so a tie of k elements
// gives each g/k. `hit` is 1 where x equals the result: x >= max (only the
// maxima are), or min >= x.
Node* extremumGradient(Graph& g, Node* n, Node* x, Node* grad) {
  Node* wide = g.broadcast(n, x->type.shape);
  Node* hit = n->op == Op::Max ? g.binary(Op::Ge, x, wide) : g.binary(Op::Ge, wide, x);
  Node* share = g.binary(Op::Div, grad, g.reduce(Op::Sum, hit, n->type.shape));
  return mul(g, g.broadcast(share, x->type.shape), hit);
}

// The permutation that undoes `perm`.
std::vector<int64_t> inversePermutation(const std::vector<int64_t>& perm) {
  std::vector<int64_t> inv(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) inv[size_t(perm[i])] = int64_t(i);
  return inv;
}

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
    case Op::Ge:
      return;
    case Op::Neg: return contribute(0, [&] { return g.unary(Op::Neg, grad); });
    case Op::Abs:  // d|x| = sign(x), with sign(0) = 0
      return contribute(0, [&] { return mul(g, grad, g.unary(Op::Sign, a)); });
    case Op::Square: return contribute(0, [&] { return mul(g, grad, mul(g, g.scalar(2), a)); });
    case Op::Sqrt:  // d √x = 1 / (2·√x), from the forward value itself
      return contribute(0, [&] { return g.binary(Op::Div, grad, mul(g, g.scalar(2), n)); });
    case Op::Tanh:  // d tanh(x) = 1 - tanh(x)², from the forward value itself
      return contribute(0, [&] { return mul(g, grad, g.binary(Op::Sub, g.scalar(1), g.unary(Op::Square, n))); });
    case Op::Exp:  // d exp(x) = exp(x), the forward value
      return contribute(0, [&] { return mul(g, grad, n); });
    case Op::Log:  // d log(x) = 1/x
      return contribute(0, [&] { return g.binary(Op::Div, grad, a); });
    case Op::Maximum:
    case Op::Minimum: {
      // The selected operand gets the gradient; on a tie (a == b) the first
      // one does, so maximum(0, x) has relu's derivative 0 at x = 0 and
      // maximum(x, 0) has 1. (PyTorch's torch.maximum splits a tie in halves;
      // its relu gives 0 at 0, as maximum(0, x) does here.)
      Node* first = n->op == Op::Maximum ? g.binary(Op::Ge, a, b) : g.binary(Op::Ge, b, a);
      contribute(0, [&] { return sumTo(g, mul(g, grad, first), a->type.shape); });
      return contribute(1, [&] { return sumTo(g, mul(g, grad, complement(g, first)), b->type.shape); });
    }
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
    case Op::Min: return contribute(0, [&] { return extremumGradient(g, n, a, grad); });
    case Op::MatMul: {
      // C = op(A)·op(B): d op(A) = G·op(B)ᵀ, d op(B) = op(A)ᵀ·G, transposed back
      // when the operand itself was used transposed.
      bool ta = n->transposeA, tb = n->transposeB;
      contribute(0, [&] { return ta ? g.matmul(b, grad, tb, true) : g.matmul(grad, b, false, !tb); });
      return contribute(1, [&] { return tb ? g.matmul(grad, a, true, ta) : g.matmul(a, grad, !ta, false); });
    }
    case Op::Transpose: return contribute(0, [&] { return g.transpose(grad, inversePermutation(n->perm)); });
    case Op::Reshape: return contribute(0, [&] { return g.reshape(grad, a->type.shape); });
    // Gather and scatter_add are each other's adjoints (with the same index
    // clamping); the i32 indices get no gradient.
    case Op::Gather: return contribute(0, [&] { return g.scatterAdd(grad, b, a->type.shape); });
    case Op::ScatterAdd: return contribute(0, [&] { return g.gather(grad, b); });
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

// The functional graph builder's value handle: a Tensor names one node of a
// graph, and the free functions below add ops to that graph. Shapes are
// checked as each op is built (errors name the op and the operand types).
//
//   GraphBuilder b("mlp");
//   Tensor x = b.input("x", {4, 2});
//   Tensor w = b.parameter("w", {3, 2}, init::xavier_uniform(), reg::l2(1e-4));
//   Tensor y = tanh(matmul(x, w, false, true) + b.parameter("b", {3}));
#pragma once

#include <vector>

#include "ir/Graph.h"

namespace sigma {

class Tensor {
 public:
  Tensor() = default;
  Tensor(Graph* graph, Node* node) : graph_(graph), node_(node) {}

  Graph* graph() const { return graph_; }
  Node* node() const { return node_; }
  const TensorType& type() const { return node_->type; }
  const Shape& shape() const { return node_->type.shape; }
  bool valid() const { return node_ != nullptr; }

 private:
  Graph* graph_ = nullptr;
  Node* node_ = nullptr;
};

Tensor operator+(Tensor a, Tensor b);
Tensor operator-(Tensor a, Tensor b);
Tensor operator*(Tensor a, Tensor b);
Tensor operator/(Tensor a, Tensor b);
Tensor operator-(Tensor a);
Tensor operator+(Tensor a, float b);
Tensor operator-(Tensor a, float b);
Tensor operator*(Tensor a, float b);
Tensor operator*(float a, Tensor b);
Tensor operator-(float a, Tensor b);
Tensor operator+(float a, Tensor b);
Tensor operator/(Tensor a, float b);
Tensor operator/(float a, Tensor b);

Tensor constant(Graph* graph, float value);  // an f32[] splat
Tensor abs(Tensor x);
Tensor sign(Tensor x);
Tensor square(Tensor x);
Tensor tanh(Tensor x);
Tensor sqrt(Tensor x);  // correctly rounded, like sqrtf; sqrt(-x) is NaN
Tensor matmul(Tensor a, Tensor b, bool transposeA = false, bool transposeB = false);
Tensor broadcast(Tensor x, Shape to);
Tensor sum(Tensor x);             // over all elements
Tensor sum(Tensor x, Shape to);   // down to a shape that broadcasts back to x
Tensor mean(Tensor x);
Tensor mean(Tensor x, Shape to);
Tensor max(Tensor x);
Tensor max(Tensor x, Shape to);
Tensor min(Tensor x);
Tensor min(Tensor x, Shape to);

// ---- Primitive ops added for activations, losses and embeddings (one graph
// node each; their gradient rules are in passes/Autodiff.cpp).
Tensor exp(Tensor x);
Tensor log(Tensor x);                 // natural log; log(0) = -inf
// Elementwise max/min with broadcasting; NaN in either operand gives NaN.
// On a tie the gradient goes to the FIRST operand.
Tensor maximum(Tensor a, Tensor b);
Tensor minimum(Tensor a, Tensor b);
Tensor maximum(Tensor a, float b);
Tensor maximum(float a, Tensor b);
Tensor minimum(Tensor a, float b);
Tensor minimum(float a, Tensor b);
// 1.0 where a >= b, else 0.0 (also when either is NaN); f32, zero gradient.
Tensor ge(Tensor a, Tensor b);
// Result dimension i is x's dimension perm[i]; transpose(x) swaps a 2-D x.
Tensor transpose(Tensor x, std::vector<int64_t> perm);
Tensor transpose(Tensor x);
// Same elements in the same row-major order, another shape of equal size.
Tensor reshape(Tensor x, Shape to);
// Rows of `table` (f32 [rows, ...]) picked by `indices` (i32, any shape):
// result [indices..., table dims after the first]. An index outside
// [0, rows) is clamped to the nearest row (as XLA does; nothing is checked
// at run time). The gradient w.r.t. the table is scatter_add.
Tensor gather(Tensor table, Tensor indices);
// Zeros of shape `to`, then row indices[i...] += src[i...]: gather's adjoint.
Tensor scatter_add(Tensor src, Tensor indices, Shape to);

// ---- Composed from the primitives above (no graph op of their own).
// relu(x) = maximum(0, x): derivative 0 at x = 0, as PyTorch's.
Tensor relu(Tensor x);
// leaky_relu(x, a) = maximum(a·x, x) for 0 <= a < 1: derivative a at x = 0
// as PyTorch's (x > 0 ? 1 : a).
Tensor leaky_relu(Tensor x, float negativeSlope = 0.01f);
// sigmoid(x) = 1/(1+exp(-x)), computed as 0.5 + 0.5·tanh(x/2) (see Tensor.cpp).
Tensor sigmoid(Tensor x);
// GELU, tanh approximation: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))),
// i.e. PyTorch's gelu(approximate='tanh'). PyTorch's default is the exact
// x·Φ(x) with erf; the two differ by less than 5e-4 in absolute value.
Tensor gelu(Tensor x);
// Along the last axis, numerically stable (the row max is subtracted first):
// softmax(x) = exp(x - m) / Σ exp(x - m), log_softmax(x) = (x - m) - log Σ exp(x - m).
Tensor softmax(Tensor x);
Tensor log_softmax(Tensor x);
// Mean over the rows (every axis but the last) of -Σ_c target·log_softmax(logits):
// softmax cross-entropy. `target` has the logits' type: one-hot rows (or any
// probability rows: soft labels).
Tensor cross_entropy_from_logits(Tensor logits, Tensor target);
// Mean over all elements of max(x,0) - x·t + log(1 + exp(-|x|)): binary
// cross-entropy of sigmoid(x) against t, without overflow (BCEWithLogitsLoss).
Tensor bce_with_logits(Tensor logits, Tensor target);

}  // namespace sigma

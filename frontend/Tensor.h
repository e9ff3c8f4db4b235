// The functional graph builder's value handle: a Tensor names one node of a
// graph, and the free functions below add ops to that graph. Shapes are
// checked as each op is built (errors name the op and the operand types).
//
//   GraphBuilder b("mlp");
//   Tensor x = b.input("x", {4, 2});
//   Tensor w = b.parameter("w", {3, 2}, init::xavier_uniform(), reg::l2(1e-4));
//   Tensor y = tanh(matmul(x, w, false, true) + b.parameter("b", {3}));
#pragma once

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

Tensor constant(Graph* graph, float value);  // an f32[] splat
Tensor abs(Tensor x);
Tensor sign(Tensor x);
Tensor square(Tensor x);
Tensor tanh(Tensor x);
Tensor matmul(Tensor a, Tensor b, bool transposeA = false, bool transposeB = false);
Tensor broadcast(Tensor x, Shape to);
Tensor sum(Tensor x);             // over all elements
Tensor sum(Tensor x, Shape to);   // down to a shape that broadcasts back to x
Tensor mean(Tensor x);
Tensor mean(Tensor x, Shape to);
Tensor max(Tensor x);
Tensor max(Tensor x, Shape to);

}  // namespace sigma

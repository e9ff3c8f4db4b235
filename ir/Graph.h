// The graph IR: a typed, static-shape dataflow graph of tensor ops.
//
// A Graph owns its Nodes; each Node is one op producing one tensor whose type
// is inferred when the node is built (a shape error names the op and the
// operand shapes). Nodes are kept in a topological order: operands always
// come before their users. A graph ends in named outputs (the loss, the
// weight statistics) and, for a training step, updates: "after the step,
// parameter P holds value V".
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ir/Type.h"

namespace sigma {

enum class Op : uint8_t {
#define SIGMA_OP(e, text, cls) e,
#include "ir/Ops.def"
};
enum class OpClass : uint8_t { Leaf, Unary, Binary, Broadcast, Reduce, MatMul, Transpose, Reshape, Gather, Scatter };

const char* opName(Op op);
OpClass opClass(Op op);
bool parseOp(const std::string& text, Op& out);

// Which part of a training step a node belongs to; drawn apart in pictures
// and dumps, never changes semantics.
enum class Part : uint8_t { Forward, Backward, Penalty, Update, Stats };
const char* partName(Part part);

struct Node {
  int id = 0;                 // position in the graph's node list
  Op op = Op::Input;
  TensorType type;
  std::vector<Node*> inputs;
  std::string name;           // empty: printed as a number (%0, %1, ...)
  Part part = Part::Forward;

  bool transposeA = false, transposeB = false;  // MatMul
  std::vector<float> values;                    // Constant: one value (a splat) or type.size()
  std::vector<int64_t> perm;                    // Transpose: result dim i is operand dim perm[i]

  bool isLeaf() const { return opClass(op) == OpClass::Leaf; }
  bool isSplat() const { return op == Op::Constant && values.size() == 1; }
  float splatValue() const { return values.at(0); }
};

struct GraphOutput {
  std::string name;
  Node* value;
};
struct GraphUpdate {
  Node* parameter;
  Node* value;
};

class Graph {
 public:
  explicit Graph(std::string name = "main") : name_(std::move(name)) {}
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;
  Graph(Graph&&) = default;
  Graph& operator=(Graph&&) = default;

  const std::string& name() const { return name_; }
  void setName(std::string name) { name_ = std::move(name); }

  // Builders: each infers the result type and throws sigma::Error on a
  // mismatch, naming the op and the operand types.
  Node* input(const std::string& name, TensorType type);
  Node* parameter(const std::string& name, TensorType type);
  Node* constant(TensorType type, std::vector<float> values);
  Node* scalar(float value) { return constant({DType::F32, {}}, {value}); }
  Node* unary(Op op, Node* x);
  Node* binary(Op op, Node* a, Node* b);
  Node* broadcast(Node* x, Shape to);
  Node* reduce(Op op, Node* x, Shape to);  // Sum/Mean/Max down to `to`
  Node* reduceAll(Op op, Node* x) { return reduce(op, x, {}); }
  Node* matmul(Node* a, Node* b, bool transposeA = false, bool transposeB = false);
  Node* transpose(Node* x, std::vector<int64_t> perm);
  Node* reshape(Node* x, Shape to);
  Node* gather(Node* table, Node* indices);                // rows of table by i32 indices
  Node* scatterAdd(Node* src, Node* indices, Shape to);    // gather's adjoint, into zeros of shape `to`
  // Generic form used by the parser and by passes that rebuild nodes.
  Node* make(Op op, std::vector<Node*> inputs, TensorType type, const Node* attrsFrom = nullptr);

  void addOutput(const std::string& name, Node* value);
  void addUpdate(Node* parameter, Node* value);

  const std::vector<std::unique_ptr<Node>>& nodes() const { return nodes_; }
  const std::vector<GraphOutput>& outputs() const { return outputs_; }
  const std::vector<GraphUpdate>& updates() const { return updates_; }
  std::vector<GraphOutput>& outputs() { return outputs_; }
  std::vector<GraphUpdate>& updates() { return updates_; }
  Node* find(const std::string& name) const;  // by name; nullptr if absent
  std::vector<Node*> parameters() const;
  std::vector<Node*> inputs() const;

  // Keeps only the nodes for which keep(node) is true (and renumbers ids).
  // Callers make sure no kept node or output refers to a dropped one.
  template <typename Pred>
  void retainNodes(Pred keep);
  // Redirects every use of `from` (operands, outputs, update values) to `to`.
  void replaceAllUses(Node* from, Node* to);
  void renumber();

  // The part new nodes are tagged with (Autodiff switches it as it goes).
  Part currentPart = Part::Forward;

 private:
  Node* append(std::unique_ptr<Node> node);

  std::string name_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<GraphOutput> outputs_;
  std::vector<GraphUpdate> updates_;
};

template <typename Pred>
void Graph::retainNodes(Pred keep) {
  std::vector<std::unique_ptr<Node>> kept;
  for (auto& n : nodes_)
    if (keep(n.get())) kept.push_back(std::move(n));
  nodes_ = std::move(kept);
  renumber();
}

// Deep copy (node identity is not preserved; names and order are).
Graph cloneGraph(const Graph& g);

}  // namespace sigma

#include "ir/Graph.h"

#include <unordered_map>

#include "ir/Error.h"
#include "ir/ShapeRules.h"

namespace sigma {

namespace {
struct OpEntry {
  const char* text;
  OpClass cls;
};
constexpr OpEntry kOps[] = {
#define SIGMA_OP(e, text, cls) {text, OpClass::cls},
#include "ir/Ops.def"
};

OpAttrs withTarget(Shape target) {
  OpAttrs attrs;
  attrs.target = std::move(target);
  return attrs;
}
OpAttrs withPerm(std::vector<int64_t> perm) {
  OpAttrs attrs;
  attrs.perm = std::move(perm);
  return attrs;
}
OpAttrs withTranspose(bool a, bool b) {
  OpAttrs attrs;
  attrs.transposeA = a, attrs.transposeB = b;
  return attrs;
}
}  // namespace

const char* opName(Op op) { return kOps[int(op)].text; }
OpClass opClass(Op op) { return kOps[int(op)].cls; }

bool parseOp(const std::string& text, Op& out) {
  for (size_t i = 0; i < std::size(kOps); ++i)
    if (text == kOps[i].text) return out = Op(i), true;
  return false;
}

const char* partName(Part part) {
  static const char* names[] = {"forward", "backward", "penalty", "update", "stats"};
  return names[int(part)];
}

Node* Graph::append(std::unique_ptr<Node> node) {
  node->id = int(nodes_.size());
  node->part = currentPart;
  nodes_.push_back(std::move(node));
  return nodes_.back().get();
}

Node* Graph::input(const std::string& name, TensorType type) {
  if (find(name)) fail("input '{}': the name is already used in graph @{}", name, name_);
  auto n = std::make_unique<Node>();
  n->op = Op::Input, n->type = std::move(type), n->name = name;
  return append(std::move(n));
}

Node* Graph::parameter(const std::string& name, TensorType type) {
  if (find(name)) fail("param '{}': the name is already used in graph @{}", name, name_);
  auto n = std::make_unique<Node>();
  n->op = Op::Parameter, n->type = std::move(type), n->name = name;
  return append(std::move(n));
}

Node* Graph::constant(TensorType type, std::vector<float> values) {
  if (values.size() != 1 && int64_t(values.size()) != type.size())
    fail("const {}: {} values given, expected 1 (a splat) or {}", type.str(), values.size(), type.size());
  auto n = std::make_unique<Node>();
  n->op = Op::Constant, n->type = std::move(type), n->values = std::move(values);
  return append(std::move(n));
}

// The shape rules live in ShapeRules.cpp (shared with the verifier); the
// builders only check that the op fits the builder and attach attributes.
Node* Graph::unary(Op op, Node* x) {
  if (opClass(op) != OpClass::Unary) fail("{} is not a unary op", opName(op));
  return make(op, {x}, inferType(op, {x->type}));
}

Node* Graph::binary(Op op, Node* a, Node* b) {
  if (opClass(op) != OpClass::Binary) fail("{} is not a binary op", opName(op));
  return make(op, {a, b}, inferType(op, {a->type, b->type}));
}

Node* Graph::broadcast(Node* x, Shape to) {
  return make(Op::Broadcast, {x}, inferType(Op::Broadcast, {x->type}, withTarget(std::move(to))));
}

Node* Graph::reduce(Op op, Node* x, Shape to) {
  if (opClass(op) != OpClass::Reduce) fail("{} is not a reduction", opName(op));
  return make(op, {x}, inferType(op, {x->type}, withTarget(std::move(to))));
}

Node* Graph::matmul(Node* a, Node* b, bool transposeA, bool transposeB) {
  TensorType type = inferType(Op::MatMul, {a->type, b->type}, withTranspose(transposeA, transposeB));
  Node proto;
  proto.transposeA = transposeA, proto.transposeB = transposeB;
  return make(Op::MatMul, {a, b}, std::move(type), &proto);
}

Node* Graph::transpose(Node* x, std::vector<int64_t> perm) {
  Node proto;
  proto.perm = std::move(perm);
  TensorType type = inferType(Op::Transpose, {x->type}, withPerm(proto.perm));
  return make(Op::Transpose, {x}, std::move(type), &proto);
}

Node* Graph::reshape(Node* x, Shape to) {
  return make(Op::Reshape, {x}, inferType(Op::Reshape, {x->type}, withTarget(std::move(to))));
}

Node* Graph::gather(Node* table, Node* indices) {
  return make(Op::Gather, {table, indices}, inferType(Op::Gather, {table->type, indices->type}));
}

Node* Graph::scatterAdd(Node* src, Node* indices, Shape to) {
  return make(Op::ScatterAdd, {src, indices},
              inferType(Op::ScatterAdd, {src->type, indices->type}, withTarget(std::move(to))));
}

Node* Graph::make(Op op, std::vector<Node*> inputs, TensorType type, const Node* attrsFrom) {
  auto n = std::make_unique<Node>();
  n->op = op, n->type = std::move(type), n->inputs = std::move(inputs);
  if (attrsFrom) {
    n->transposeA = attrsFrom->transposeA, n->transposeB = attrsFrom->transposeB;
    n->values = attrsFrom->values;
    n->perm = attrsFrom->perm;
  }
  return append(std::move(n));
}

void Graph::addOutput(const std::string& name, Node* value) {
  for (const auto& o : outputs_)
    if (o.name == name) fail("output '{}' is defined twice in graph @{}", name, name_);
  outputs_.push_back({name, value});
}

void Graph::addUpdate(Node* parameter, Node* value) {
  if (parameter->op != Op::Parameter)
    fail("update: %{} is a {}, only parameters can be updated", parameter->name, opName(parameter->op));
  if (parameter->type != value->type)
    fail("update %{}: new value has type {}, the parameter {}", parameter->name, value->type.str(),
         parameter->type.str());
  updates_.push_back({parameter, value});
}

Node* Graph::find(const std::string& name) const {
  if (name.empty()) return nullptr;
  for (const auto& n : nodes_)
    if (n->name == name) return n.get();
  return nullptr;
}

std::vector<Node*> Graph::parameters() const {
  std::vector<Node*> out;
  for (const auto& n : nodes_)
    if (n->op == Op::Parameter) out.push_back(n.get());
  return out;
}

std::vector<Node*> Graph::inputs() const {
  std::vector<Node*> out;
  for (const auto& n : nodes_)
    if (n->op == Op::Input) out.push_back(n.get());
  return out;
}

void Graph::replaceAllUses(Node* from, Node* to) {
  for (auto& n : nodes_)
    for (Node*& in : n->inputs)
      if (in == from) in = to;
  for (auto& o : outputs_)
    if (o.value == from) o.value = to;
  for (auto& u : updates_)
    if (u.value == from) u.value = to;
}

void Graph::renumber() {
  for (size_t i = 0; i < nodes_.size(); ++i) nodes_[i]->id = int(i);
}

Graph cloneGraph(const Graph& g) {
  Graph out(g.name());
  std::unordered_map<const Node*, Node*> map;
  for (const auto& n : g.nodes()) {
    std::vector<Node*> ins;
    for (Node* in : n->inputs) ins.push_back(map.at(in));
    out.currentPart = n->part;
    Node* copy = out.make(n->op, ins, n->type, n.get());
    copy->name = n->name;
    map[n.get()] = copy;
  }
  for (const auto& o : g.outputs()) out.addOutput(o.name, map.at(o.value));
  for (const auto& u : g.updates()) out.addUpdate(map.at(u.parameter), map.at(u.value));
  out.currentPart = Part::Forward;
  return out;
}

}  // namespace sigma

#include "ir/GraphVerifier.h"

#include <cctype>
#include <unordered_map>
#include <unordered_set>

#include "ir/Error.h"
#include "ir/GraphPrinter.h"
#include "ir/ShapeRules.h"

namespace sigma {

namespace {

bool isValidName(const std::string& name) {
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.') return false;
  return !name.empty();
}
bool isNumeric(const std::string& name) {
  for (char c : name)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return !name.empty();
}

class Verifier {
 public:
  explicit Verifier(const Graph& g) : g_(g), names_(valueNames(g)) {}

  void run() {
    if (!isValidName(g_.name())) problem("the graph's name '{}' is not made of [A-Za-z0-9_.]", g_.name());
    const auto& nodes = g_.nodes();
    for (size_t i = 0; i < nodes.size(); ++i) {
      if (!nodes[i]) problem("the node at position {} is null", i);
      position_[nodes[i].get()] = int(i);
    }
    for (size_t i = 0; i < nodes.size(); ++i) checkNode(*nodes[i], int(i));
    checkOutputs();
    checkUpdates();
  }

 private:
  template <typename... Args>
  [[noreturn]] void problem(fmt::format_string<Args...> format, Args&&... args) const {
    fail("graph @{}: {}", g_.name(), fmt::format(format, std::forward<Args>(args)...));
  }
  std::string ref(const Node* n) const { return "%" + names_.at(n); }
  std::string where(const Node& n) const { return fmt::format("{} ({})", ref(&n), opName(n.op)); }
  bool owns(const Node* n) const { return n && position_.count(n); }

  void checkNode(const Node& n, int pos) {
    if (n.id != pos) problem("{}: id is {} but the node is at position {}", where(n), n.id, pos);
    checkName(n);
    for (int64_t d : n.type.shape)
      if (d < 0) problem("{}: type {} has a negative dimension", where(n), n.type.str());

    if (int(n.inputs.size()) != opArity(n.op))
      problem("{}: has {} operands, {} takes {}", where(n), n.inputs.size(), opName(n.op), opArity(n.op));
    std::vector<TensorType> operandTypes;
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      const Node* in = n.inputs[i];
      if (!owns(in)) problem("{}: operand {} is not a node of this graph", where(n), i);
      if (position_.at(in) >= pos)
        problem("{}: operand {} ({}) does not come before its user (topological order)", where(n), i,
                ref(in));
      operandTypes.push_back(in->type);
    }

    if ((n.transposeA || n.transposeB) && n.op != Op::MatMul)
      problem("{}: has transpose attributes, which only matmul takes", where(n));
    if (!n.perm.empty() && n.op != Op::Transpose)
      problem("{}: has a permutation, which only transpose takes", where(n));
    if (n.op == Op::Constant) {
      if (n.values.size() != 1 && int64_t(n.values.size()) != n.type.size())
        problem("{}: has {} values, a {} constant needs 1 (a splat) or {}", where(n), n.values.size(),
                n.type.str(), n.type.size());
    } else if (!n.values.empty()) {
      problem("{}: has constant values, which only const takes", where(n));
    }
    if (n.isLeaf()) return;

    // Re-infer the type; broadcast, reductions, reshape and scatter_add take
    // their target shape from the node's own type, as the builders do.
    OpAttrs attrs{n.transposeA, n.transposeB, n.type.shape, n.perm};
    TensorType inferred;
    try {
      inferred = inferType(n.op, operandTypes, attrs);
    } catch (const Error& e) {
      problem("{}: {}", ref(&n), e.what());
    }
    if (inferred != n.type)
      problem("{}: type {} disagrees with the shape rules: {} gives {}", where(n), n.type.str(),
              describeApplication(n.op, operandTypes, attrs), inferred.str());
  }

  void checkName(const Node& n) {
    if (n.name.empty()) return;
    if (!isValidName(n.name)) problem("{}: the name '{}' is not made of [A-Za-z0-9_.]", where(n), n.name);
    if (isNumeric(n.name))
      problem("{}: the name '{}' is all digits, which the text form reserves for unnamed nodes", where(n),
              n.name);
    auto [it, fresh] = byName_.try_emplace(n.name, &n);
    if (!fresh)
      problem("duplicate name %{} (nodes at positions {} and {})", n.name, position_.at(it->second),
              position_.at(&n));
  }

  void checkOutputs() {
    std::unordered_set<std::string> seen;
    for (const auto& o : g_.outputs()) {
      if (!isValidName(o.name)) problem("output '{}': the name is not made of [A-Za-z0-9_.]", o.name);
      if (!seen.insert(o.name).second) problem("output %{} is defined twice", o.name);
      if (!owns(o.value)) problem("output %{} refers to a node that is not in the graph", o.name);
    }
  }

  void checkUpdates() {
    std::unordered_set<const Node*> updated;
    for (const auto& u : g_.updates()) {
      if (!owns(u.parameter)) problem("an update sets a node that is not in the graph");
      std::string p = ref(u.parameter);
      if (!owns(u.value)) problem("update of {}: the new value is a node that is not in the graph", p);
      if (u.parameter->op != Op::Parameter)
        problem("update of {}: it is defined by {}, only parameters can be updated", p,
                opName(u.parameter->op));
      if (u.value->type != u.parameter->type)
        problem("update of {}: the new value {} has type {} but the parameter is {}", p, ref(u.value),
                u.value->type.str(), u.parameter->type.str());
      if (!updated.insert(u.parameter).second) problem("parameter {} is updated twice", p);
    }
  }

  const Graph& g_;
  std::unordered_map<const Node*, std::string> names_;
  std::unordered_map<const Node*, int> position_;
  std::unordered_map<std::string, const Node*> byName_;
};

}  // namespace

void verifyGraph(const Graph& g) { Verifier(g).run(); }

}  // namespace sigma

#include "passes/AlgebraicSimplification.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <optional>
#include <unordered_map>

#include <fmt/format.h>

#include "ir/Error.h"
#include "ir/GraphPrinter.h"
#include "ir/ShapeRules.h"
#include "passes/GraphRemarks.h"

namespace sigma {

namespace {

// ------------------------------------------------------------- patterns

// A pattern is a small tree: an op applied to sub-patterns, a capture (a
// node bound to a slot, optionally one that also matches a sub-pattern; a
// slot used twice must bind the same node), or a constant (a const node
// whose every element has exactly these bits, so -0 and 0 are different
// constants). A replacement is the same kind of tree: captures are reused,
// ops are built, constants become f32[] splats. Patterns match ops, not
// attributes: a rule on an op with attributes (matmul, transpose) would
// have to check them in a guard. Broadcast and the reductions carry only
// their target shape, which is the node's type: the keepsShape guard and
// the type check cover it.
struct Pattern {
  enum class Kind : uint8_t { Capture, Constant, Apply } kind;
  int slot = 0;       // Capture (operands: none, or the one sub-pattern it must match)
  float value = 0;    // Constant
  Op op = Op::Input;  // Apply
  std::vector<Pattern> operands;
};

constexpr int kSlots = 2;
const Pattern x{Pattern::Kind::Capture, 0, 0, Op::Input, {}};
const Pattern y{Pattern::Kind::Capture, 1, 0, Op::Input, {}};
Pattern c(float value) { return {Pattern::Kind::Constant, 0, value, Op::Input, {}}; }
// y = bind(1, abs(x)): slot 1 takes the node that matches abs(x), so a
// replacement can reuse it rather than build it again.
Pattern bind(int slot, Pattern p) { return {Pattern::Kind::Capture, slot, 0, Op::Input, {p}}; }
template <typename... Operands>
Pattern apply(Op op, Operands... operands) {
  return {Pattern::Kind::Apply, 0, 0, op, {operands...}};
}
Pattern neg(Pattern a) { return apply(Op::Neg, a); }
Pattern add(Pattern a, Pattern b) { return apply(Op::Add, a, b); }
Pattern sub(Pattern a, Pattern b) { return apply(Op::Sub, a, b); }
Pattern mul(Pattern a, Pattern b) { return apply(Op::Mul, a, b); }

using Captures = std::array<Node*, kSlots>;

// A rule's precondition beyond its pattern, on the matched node.
using Guard = bool (*)(const Node& matched, const Captures& captures);
// x already has the node's shape: a broadcast or reduction of x to the
// node's type does nothing to the shape.
bool keepsShape(const Node& n, const Captures& captures) { return captures[0]->type == n.type; }

struct Rule {
  const char* name;
  Pattern pattern, replacement;
  Guard guard = nullptr;  // none: the pattern is enough
};

// The rules, each exact in IEEE arithmetic for every input, ±0, ±inf and
// NaN included (a NaN result stays a NaN). Commuted forms are listed
// separately: matching is literal.
const std::vector<Rule>& rules() {
  static const std::vector<Rule> table = {
      // Identities. x*1, x/1 and x-(+0) are exact for every x; x+(-0) too,
      // but x+(+0) is not: -0 + +0 = +0. So only -0 is additive identity.
      {"x*1 -> x", mul(x, c(1)), x},
      {"1*x -> x", mul(c(1), x), x},
      {"x/1 -> x", apply(Op::Div, x, c(1)), x},
      {"x-0 -> x", sub(x, c(0.0f)), x},
      {"x+(-0) -> x", add(x, c(-0.0f)), x},
      {"(-0)+x -> x", add(c(-0.0f), x), x},
      // -0 - x = -0 + (-x) = -x, exactly (and 0 - x is not: 0 - 0 = +0).
      {"(-0)-x -> neg x", sub(c(-0.0f), x), neg(x)},
      // Negation only flips the sign bit, and IEEE defines a - b as
      // a + (-b): these trade a neg node for nothing.
      {"neg(neg x) -> x", neg(neg(x)), x},
      {"x-(neg y) -> x+y", sub(x, neg(y)), add(x, y)},
      {"x+(neg y) -> x-y", add(x, neg(y)), sub(x, y)},
      {"(neg y)+x -> x-y", add(neg(y), x), sub(x, y)},
      // (-x)·(-x) = x·x: same magnitude, positive sign, same rounding.
      {"square(neg x) -> square x", apply(Op::Square, neg(x)), apply(Op::Square, x)},
      {"abs(abs x) -> abs x", apply(Op::Abs, bind(1, apply(Op::Abs, x))), y},
      {"abs(neg x) -> abs x", apply(Op::Abs, neg(x)), apply(Op::Abs, x)},
      // sign gives exactly 1, -1 or +0, each its own sign.
      {"sign(sign x) -> sign x", apply(Op::Sign, bind(1, apply(Op::Sign, x))), y},
      // To the operand's own shape: broadcast copies; max and min start
      // from -inf and +inf, which maximum/minimum give back x against, NaN
      // and -0 included.
      {"broadcast x -> x (same shape)", apply(Op::Broadcast, x), x, keepsShape},
      {"max x -> x (same shape)", apply(Op::Max, x), x, keepsShape},
      {"min x -> x (same shape)", apply(Op::Min, x), x, keepsShape},
      // sum and mean start from +0, so they turn -0 into +0 and are not x:
      // they become x+0, which does the same as one elementwise op (fusable)
      // instead of a reduction (mean's division by a count of 1 is exact).
      {"sum x -> x+0 (same shape)", apply(Op::Sum, x), add(x, c(0.0f)), keepsShape},
      {"mean x -> x+0 (same shape)", apply(Op::Mean, x), add(x, c(0.0f)), keepsShape},
  };
  return table;
}

// -------------------------------------------------------------- matching

bool isConstant(const Node* n, float value) {
  if (n->op != Op::Constant || n->values.empty()) return false;
  return std::all_of(n->values.begin(), n->values.end(),
                     [&](float v) { return std::bit_cast<uint32_t>(v) == std::bit_cast<uint32_t>(value); });
}

bool match(const Pattern& p, Node* n, Captures& captures) {
  switch (p.kind) {
    case Pattern::Kind::Capture:
      if (captures[p.slot] && captures[p.slot] != n) return false;
      captures[p.slot] = n;
      return p.operands.empty() || match(p.operands[0], n, captures);
    case Pattern::Kind::Constant: return isConstant(n, p.value);
    case Pattern::Kind::Apply:
      if (n->op != p.op || n->inputs.size() != p.operands.size()) return false;
      for (size_t i = 0; i < p.operands.size(); ++i)
        if (!match(p.operands[i], n->inputs[i], captures)) return false;
      return true;
  }
  return false;
}

// The type the replacement would have, or nothing if its ops do not apply
// to these operands. Broadcast and reductions would target `shape`.
std::optional<TensorType> typeOf(const Pattern& r, const Captures& captures, const Shape& shape) {
  switch (r.kind) {
    case Pattern::Kind::Capture: return captures[r.slot]->type;
    case Pattern::Kind::Constant: return TensorType{DType::F32, {}};
    case Pattern::Kind::Apply: {
      std::vector<TensorType> operands;
      for (const Pattern& o : r.operands) {
        std::optional<TensorType> t = typeOf(o, captures, shape);
        if (!t) return std::nullopt;
        operands.push_back(*t);
      }
      OpAttrs attrs;
      attrs.target = shape;
      try {
        return inferType(r.op, operands, attrs);
      } catch (const Error&) {
        return std::nullopt;
      }
    }
  }
  return std::nullopt;
}

Node* build(const Pattern& r, const Captures& captures, Graph& out, const Shape& shape) {
  switch (r.kind) {
    case Pattern::Kind::Capture: return captures[r.slot];
    case Pattern::Kind::Constant: return out.scalar(r.value);
    case Pattern::Kind::Apply: {
      std::vector<Node*> operands;
      for (const Pattern& o : r.operands) operands.push_back(build(o, captures, out, shape));
      TensorType type = *typeOf(r, captures, shape);
      return out.make(r.op, std::move(operands), std::move(type));
    }
  }
  return nullptr;
}

// ------------------------------------------------------------- rewriting

// The first rule that rewrites `view` (n with its operands as rewritten so
// far) to a value of n's type, built in `out`; nullptr when none does.
// Rules refused for the type are noted in `refused`.
Node* rewrite(const Node& n, Node& view, Graph& out, const NodeNames& names, std::vector<std::string>& fired,
              std::vector<std::string>& refused) {
  for (const Rule& rule : rules()) {
    Captures captures{};
    if (!match(rule.pattern, &view, captures) || (rule.guard && !rule.guard(view, captures))) continue;
    std::optional<TensorType> type = typeOf(rule.replacement, captures, n.type.shape);
    if (!type || *type != n.type) {
      refused.push_back(fmt::format("simplify: {} not applied at {}: the result would not be {}", rule.name,
                                    describeNode(names, n), n.type.str()));
      continue;
    }
    fired.push_back(fmt::format("simplify: {} at {}", rule.name, describeNode(names, n)));
    return build(rule.replacement, captures, out, n.type.shape);
  }
  return nullptr;
}

// One bottom-up sweep: the graph is rebuilt in order, each node from its
// already-rewritten operands, and the first rule that matches it gives what
// it becomes. Rebuilding keeps the topological order for free: the new
// nodes of a replacement are built where the node they replace was.
void sweep(Graph& graph, std::vector<std::string>& fired, std::vector<std::string>& refused) {
  const auto names = valueNames(graph);
  Graph out(graph.name());
  std::unordered_map<const Node*, Node*> map;
  for (const auto& owned : graph.nodes()) {
    const Node* n = owned.get();
    out.currentPart = n->part;
    Node* result = nullptr;
    if (n->isLeaf()) {
      result = out.make(n->op, {}, n->type, n);
      result->name = n->name;
    } else {
      Node view = *n;
      for (Node*& in : view.inputs) in = map.at(in);
      result = rewrite(*n, view, out, names, fired, refused);
      if (result) {
        // The value keeps the node's name, unless it has one of its own.
        if (result->name.empty()) result->name = n->name;
      } else {
        result = out.make(view.op, view.inputs, view.type, &view);
        result->name = n->name;
      }
    }
    map[n] = result;
  }
  for (const GraphOutput& o : graph.outputs()) out.addOutput(o.name, map.at(o.value));
  for (const GraphUpdate& u : graph.updates()) out.addUpdate(map.at(u.parameter), map.at(u.value));
  out.currentPart = Part::Forward;
  graph = std::move(out);
}

}  // namespace

void simplifyAlgebra(Graph& graph, std::vector<std::string>& remarks) {
  // Every rule removes a node or a neg, or turns a reduction into an
  // elementwise op that no rule rewrites further, so sweeps terminate; the
  // cap only guards against a future pair of rules that undo each other.
  constexpr int kMaxSweeps = 100;
  for (int i = 0; i < kMaxSweeps; ++i) {
    std::vector<std::string> fired, refused;
    sweep(graph, fired, refused);
    remarks.insert(remarks.end(), fired.begin(), fired.end());
    // Refusals are reported once, from the last sweep (the graph's final
    // form): earlier ones may concern nodes a later rule rewrote anyway.
    if (fired.empty()) {
      remarks.insert(remarks.end(), refused.begin(), refused.end());
      return;
    }
  }
  fail("simplify: no fixed point after {} sweeps over graph @{}: two rules undo each other", kMaxSweeps,
       graph.name());
}

}  // namespace sigma

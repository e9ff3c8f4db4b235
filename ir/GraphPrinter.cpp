#include "ir/GraphPrinter.h"

#include <fmt/format.h>

#include <cmath>

#include "ir/ShapeRules.h"

namespace sigma {

std::unordered_map<const Node*, std::string> valueNames(const Graph& g) {
  std::unordered_map<const Node*, std::string> names;
  int next = 0;
  for (const auto& n : g.nodes())
    if (n) names[n.get()] = n->name.empty() ? std::to_string(next++) : n->name;
  return names;
}

namespace {
// A reference to a node that is not in the graph still prints (a corrupt
// graph is what one most wants to look at), but visibly and unparseably.
std::string ref(const std::unordered_map<const Node*, std::string>& names, const Node* n) {
  if (!n) return "%<null>";
  auto it = names.find(n);
  if (it != names.end()) return "%" + it->second;
  return fmt::format("%<not in graph: {}>", n->name.empty() ? "#" + std::to_string(n->id) : n->name);
}

std::string attributes(const Node& n) {
  if (n.op == Op::Transpose) return " " + permString(n.perm);
  if (n.transposeA && n.transposeB) return " {transpose_a, transpose_b}";
  if (n.transposeA) return " {transpose_a}";
  if (n.transposeB) return " {transpose_b}";
  return "";
}

std::string constantValues(const Node& n) {
  if (n.values.size() == 1) return printFloat(n.values[0], false);
  std::string s = "[";
  for (size_t i = 0; i < n.values.size(); ++i) s += (i ? ", " : "") + printFloat(n.values[i], false);
  return s + "]";
}
}  // namespace

std::string printGraph(const Graph& g) {
  auto names = valueNames(g);
  std::string out = fmt::format("graph @{} {{\n", g.name());
  for (const auto& n : g.nodes()) {
    if (!n) {
      out += "  <null node>\n";
      continue;
    }
    out += fmt::format("  {} = {}", ref(names, n.get()), opName(n->op));
    if (n->op == Op::Constant) out += " " + constantValues(*n);
    for (size_t i = 0; i < n->inputs.size(); ++i) out += (i ? ", " : " ") + ref(names, n->inputs[i]);
    out += attributes(*n);
    out += " : " + n->type.str();
    if (n->part != Part::Forward) out += std::string(" #") + partName(n->part);
    out += "\n";
  }
  for (const auto& o : g.outputs()) out += fmt::format("  output %{} = {}\n", o.name, ref(names, o.value));
  for (const auto& u : g.updates())
    out += fmt::format("  update {} = {}\n", ref(names, u.parameter), ref(names, u.value));
  return out + "}\n";
}

}  // namespace sigma

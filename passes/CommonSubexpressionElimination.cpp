#include "passes/CommonSubexpressionElimination.h"

#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "ir/GraphPrinter.h"
#include "passes/GraphRemarks.h"

namespace sigma {

namespace {

// What a node computes from its operands, as text: the node rebuilt alone
// on placeholder operands of the same types, printed. The text form is the
// IR's complete description of a node (print -> parse -> print is the
// identity, and Graph::make copies every attribute), so this compares op,
// type and all attributes, including ones added to Node after this pass
// was written, without listing them here. Constant values print in their
// shortest round-trip form: equal text means equal bits (-0 and 0 differ;
// NaNs all print as "nan" and are merged, their payload being unspecified
// by the loop IR's semantics anyway).
std::string computationText(const Node& n) {
  Graph alone("cse");
  std::vector<Node*> operands;
  for (size_t i = 0; i < n.inputs.size(); ++i)
    operands.push_back(alone.input(fmt::format("in{}", i), n.inputs[i]->type));
  alone.make(n.op, std::move(operands), n.type, &n);
  return printGraph(alone);
}

}  // namespace

void eliminateCommonSubexpressions(Graph& graph, std::vector<std::string>& remarks) {
  const auto names = valueNames(graph);
  std::unordered_map<std::string, Node*> first;  // computation + operand identities -> first node
  std::unordered_set<const Node*> merged;
  for (const auto& owned : graph.nodes()) {
    Node* n = owned.get();
    if (n->op == Op::Input || n->op == Op::Parameter) continue;
    // Nodes are visited in order and uses are redirected as merges happen,
    // so n's operands are already the kept representatives.
    std::string key = computationText(*n);
    for (const Node* in : n->inputs) key += fmt::format("|{}", static_cast<const void*>(in));
    auto [it, fresh] = first.try_emplace(std::move(key), n);
    if (fresh) continue;
    Node* kept = it->second;
    if (!kept->name.empty() && !n->name.empty()) {
      remarks.push_back(fmt::format("cse: {} and {} compute the same value but both are named: kept apart",
                                    nodeRef(names, kept), nodeRef(names, n)));
      continue;
    }
    if (kept->name.empty()) kept->name = std::move(n->name);
    n->name.clear();
    graph.replaceAllUses(n, kept);
    merged.insert(n);
    remarks.push_back(fmt::format("cse: {} = {}", nodeRef(names, n), describeNode(names, *kept)));
  }
  // The merged nodes are the only ones this pass orphans (their operands
  // are the kept node's too), so they are removed here rather than by dce.
  graph.retainNodes([&](const Node* n) { return !merged.count(n); });
}

}  // namespace sigma

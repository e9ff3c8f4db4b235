#include "passes/DeadCodeElimination.h"

#include <unordered_set>

#include "ir/GraphPrinter.h"
#include "passes/GraphRemarks.h"

namespace sigma {

void eliminateDeadCode(Graph& graph, std::vector<std::string>& remarks) {
  std::unordered_set<const Node*> live;
  for (const GraphOutput& o : graph.outputs()) live.insert(o.value);
  for (const GraphUpdate& u : graph.updates()) live.insert(u.parameter), live.insert(u.value);
  // Operands come before their users, so one backward sweep sees every
  // user of a node before the node itself.
  const auto& nodes = graph.nodes();
  for (size_t i = nodes.size(); i-- > 0;) {
    const Node* n = nodes[i].get();
    if (live.count(n) || n->op == Op::Input || n->op == Op::Parameter) {
      live.insert(n);
      for (const Node* in : n->inputs) live.insert(in);
    }
  }
  // Names for the remarks are the ones of the graph this pass was given.
  const auto names = valueNames(graph);
  for (const auto& n : nodes)
    if (!live.count(n.get())) remarks.push_back("dce: removed " + describeNode(names, *n));
  graph.retainNodes([&](const Node* n) { return live.count(n) > 0; });
}

}  // namespace sigma

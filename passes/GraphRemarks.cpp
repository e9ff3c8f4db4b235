#include "passes/GraphRemarks.h"

#include "ir/GraphPrinter.h"

namespace sigma {

std::string nodeRef(const NodeNames& names, const Node* n) {
  auto it = names.find(n);
  return it == names.end() ? "%?" : "%" + it->second;
}

std::string describeConstant(const Node& n) {
  if (n.values.size() == 1) return "const " + printFloat(n.values[0], false);
  return "const [" + std::to_string(n.values.size()) + " values]";
}

std::string describeNode(const NodeNames& names, const Node& n) {
  if (n.op == Op::Constant) return nodeRef(names, &n) + " (" + describeConstant(n) + ")";
  std::string s = nodeRef(names, &n) + " (" + opName(n.op);
  for (size_t i = 0; i < n.inputs.size(); ++i) s += (i ? ", " : " ") + nodeRef(names, n.inputs[i]);
  return s + ")";
}

}  // namespace sigma

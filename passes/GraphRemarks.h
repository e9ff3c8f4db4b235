// How the graph passes name nodes in their remarks (IRUnit::remarks): with
// the %-names of the graph the pass was given, as a dump of that graph
// shows them, so a remark can be read next to the IR it talks about.
#pragma once

#include <string>
#include <unordered_map>

#include "ir/Graph.h"

namespace sigma {

using NodeNames = std::unordered_map<const Node*, std::string>;  // from valueNames()

// "%7"; "%?" for a node created by the pass itself (not in `names`).
std::string nodeRef(const NodeNames& names, const Node* n);
// "const 0.5", "const [6 values]": a constant, shortly.
std::string describeConstant(const Node& n);
// "%12 (mul %7, %8)", "%3 (const 0.5)", "%4 (const [6 values])".
std::string describeNode(const NodeNames& names, const Node& n);

}  // namespace sigma

// Dead-code elimination on the graph IR ("dce").
//
// Removes every node that no output and no update depends on. Autodiff
// builds gradients for everything it walks, the other graph passes leave
// behind the operands they rewrote around (x*1 -> x orphans the 1, folding
// orphans the folded operands), and each dead node would otherwise become a
// kernel and a buffer. Inputs and parameters always stay, used or not: they
// are the training step's interface, and callers fill them by name.
#pragma once

#include <string>
#include <vector>

#include "ir/Graph.h"

namespace sigma {

// Appends one remark per removed node ("dce: removed %12 (mul %7, %8)").
void eliminateDeadCode(Graph& graph, std::vector<std::string>& remarks);

}  // namespace sigma

// Reverse-mode automatic differentiation, graph to graph.
//
// Appends to `graph` the nodes computing d(loss)/d(x) for each x in `wrt`,
// one gradient rule per op (GradientRules in Autodiff.cpp). Only nodes on a
// path from some x in `wrt` to `loss` get an adjoint, so nothing is spent on
// gradients nobody asked for (e.g. of the first layer's input). New nodes are
// tagged Part::Backward. Returns one gradient per `wrt` entry, in order; a
// parameter the loss does not depend on gets a zero constant.
#pragma once

#include <vector>

#include "ir/Graph.h"

namespace sigma {

std::vector<Node*> differentiate(Graph& graph, Node* loss, const std::vector<Node*>& wrt);

}  // namespace sigma

// Checks the graph IR's invariants: what every pass may assume and must
// keep. Run it after building or transforming a graph.
#pragma once

#include "ir/Graph.h"

namespace sigma {

// Throws sigma::Error "graph @NAME: %NODE (OP): PROBLEM" on the first
// violation (nodes are named as printGraph names them, see valueNames()):
//  - node ids equal their position; operands are nodes of this graph that
//    come before their user (topological order); each op has its arity;
//  - every type agrees with the shape rules (re-inferred from the operands);
//    constants hold 1 (a splat) or type.size() values; attributes appear
//    only on the ops that have them; no negative dimensions;
//  - names are unique, made of [A-Za-z0-9_.] and not all digits (the text
//    form reserves numbers for unnamed nodes);
//  - outputs have distinct valid names and refer to nodes of this graph;
//    updates set parameters of this graph, each at most once, to a node of
//    this graph of the parameter's type.
void verifyGraph(const Graph& g);

}  // namespace sigma

// Graphviz pictures of a graph (`sigma inspect --emit dot|svg`).
//
//   Graph g = parseGraph(step.dump(Stage::Graph));     // the graph the kernels were lowered from
//   std::string dot = graphToDot(g, &step.loopModule());
//   std::string svg = dotToSvg(dot);                   // runs Graphviz's `dot -Tsvg`
//
// Every node is filled with the colour of its part (forward, backward,
// penalty, update, stats; a legend says which is which) and grouped in a
// cluster per part. Given the loop module, each kernel that computes two or
// more graph nodes (a fused group, found through Kernel::origin) becomes a
// cluster labelled with the kernel's name: inside its part's cluster when all
// its nodes share a part, on its own when it spans parts (the fused
// weight-sum kernel computes penalty, stats and update nodes together).
//
// The module's `origin` names are the %-names of ir/GraphPrinter.h's
// valueNames, which number unnamed nodes in order: the module must have been
// lowered from this very graph (after the graph passes), not from an earlier
// version of it. Names that match no node are ignored.
#pragma once

#include <string>

#include "ir/Graph.h"
#include "ir/LoopIR.h"

namespace sigma {

// DOT text accepted by `dot`; fusedKernels may be null (parts only).
std::string graphToDot(const Graph& graph, const loop::Module* fusedKernels = nullptr);

// Renders DOT text to SVG through Graphviz's `dot` found on PATH. Throws
// sigma::Error saying how to install Graphviz when `dot` is missing, or with
// dot's own message when it rejects the input.
std::string dotToSvg(const std::string& dot);

// Whether Graphviz's `dot` is on PATH (what dotToSvg needs).
bool graphvizAvailable();

}  // namespace sigma

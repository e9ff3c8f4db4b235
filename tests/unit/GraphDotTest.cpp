// Graphviz pictures of training steps (ir/GraphDot.h): parts as coloured
// clusters, fused kernels as clusters labelled with their kernel, and DOT
// text that Graphviz's own `dot -Tsvg` accepts. Graphviz is a test
// dependency (scripts/install-deps.sh): without it these tests fail.
#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "frontend/Compile.h"
#include "frontend/SeedNetwork.h"
#include "ir/Error.h"
#include "ir/GraphDot.h"
#include "ir/GraphParser.h"
#include "ir/GraphPrinter.h"

using namespace sigma;

namespace {

// The graph the loop module was lowered from: the step after the graph
// passes, which step.dump(Stage::Graph) prints (step.graph() is the graph
// before them, whose unnamed nodes are numbered differently).
Graph loweredGraph(const TrainingStep& step) { return parseGraph(step.dump(Stage::Graph), "<step>"); }

TrainingStep seedStep(bool fusion = true) {
  CompileOptions options{.batch = 4, .backend = Backend::Interpreter};
  options.passes.noFusion = !fusion;
  return compile(seedNetwork(), seedLoss(), seedOptimizer(), options);
}

TrainingStep w2Step() {
  nn::Sequential net{nn::Linear(784, 512), nn::ReLU(), nn::Linear(512, 256), nn::ReLU(), nn::Linear(256, 10)};
  CompileOptions options{.batch = 128, .backend = Backend::Interpreter,
                         .regularize = {{"*", reg::l1(1e-5f) + reg::l2(5e-4f)}}};
  return compile(net, loss::cross_entropy(), optim::momentum({.lr = 0.01f, .momentum = 0.9f}), options);
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

// The body of `subgraph NAME {`, up to its matching brace.
std::string clusterBody(const std::string& dot, const std::string& name) {
  size_t start = dot.find("subgraph " + name + " {");
  if (start == std::string::npos) return "";
  int depth = 0;
  for (size_t i = dot.find('{', start); i < dot.size(); ++i) {
    if (dot[i] == '{') ++depth;
    if (dot[i] == '}' && --depth == 0) return dot.substr(start, i - start + 1);
  }
  return "";
}

void requireGraphviz() {
  ASSERT_TRUE(graphvizAvailable()) << "Graphviz's `dot` is not on PATH: scripts/install-deps.sh installs it "
                                      "(Debian package graphviz)";
}

}  // namespace

TEST(GraphDot, PartsAreColouredClustersAndEveryNodeIsDrawn) {
  TrainingStep step = seedStep();
  Graph g = loweredGraph(step);
  std::string dot = graphToDot(g, &step.loopModule());
  EXPECT_EQ(dot.rfind("digraph \"", 0), 0u) << dot.substr(0, 200);
  // Each part is a frame: on its own, or inside a fused kernel that spans
  // parts (the weight loop computes penalty, stats and update together).
  std::regex frame(R"(subgraph cluster_(part|kernel_\d+)_([a-z]+) \{)");
  std::set<std::string> framed;
  for (std::sregex_iterator it(dot.begin(), dot.end(), frame), end; it != end; ++it) framed.insert((*it)[2]);
  for (const char* part : {"forward", "backward", "penalty", "update", "stats"}) {
    EXPECT_TRUE(framed.count(part)) << part;
    EXPECT_NE(dot.find(std::string("legend_") + part), std::string::npos) << part;
  }
  // Every node once, with its %-name as the printer writes it.
  auto names = valueNames(g);
  for (size_t i = 0; i < g.nodes().size(); ++i) {
    EXPECT_EQ(count(dot, "  n" + std::to_string(i) + " [label="), 1u) << "node " << i;
    EXPECT_NE(dot.find("%" + names.at(g.nodes()[i].get())), std::string::npos);
  }
  // Outputs and updates are sinks named after what leaves the step.
  for (const GraphOutput& o : g.outputs()) EXPECT_NE(dot.find("output %" + o.name), std::string::npos);
  for (const GraphUpdate& u : g.updates()) EXPECT_NE(dot.find("update %" + u.parameter->name), std::string::npos);
  // A backward matmul is in the backward cluster (or in a kernel inside it).
  EXPECT_NE(clusterBody(dot, "cluster_part_backward").find("= matmul"), std::string::npos);
}

TEST(GraphDot, FusedKernelsAreClustersLabelledWithTheirKernel) {
  TrainingStep step = seedStep();
  Graph g = loweredGraph(step);
  std::string dot = graphToDot(g, &step.loopModule());
  std::set<std::string> kernels;
  for (const loop::Kernel& k : step.loopModule().kernels) kernels.insert(k.name);

  // Each kernel cluster names a kernel of the module and holds the nodes of its origin.
  std::regex label(R"(subgraph (cluster_kernel_\d+) \{\s*label="kernel @([A-Za-z0-9_.]+) \((\d+) nodes)");
  int clusters = 0;
  auto names = valueNames(g);
  for (std::sregex_iterator it(dot.begin(), dot.end(), label), end; it != end; ++it, ++clusters) {
    const std::string kernel = (*it)[2];
    ASSERT_TRUE(kernels.count(kernel)) << "cluster labelled with unknown kernel " << kernel;
    const loop::Kernel* k = nullptr;
    for (const loop::Kernel& candidate : step.loopModule().kernels)
      if (candidate.name == kernel) k = &candidate;
    EXPECT_GE(std::stoi((*it)[3]), 2);
    const std::string body = clusterBody(dot, (*it)[1]);
    int members = 0;
    for (size_t i = 0; i < g.nodes().size(); ++i)
      if (body.find("n" + std::to_string(i) + " [label=") != std::string::npos) {
        ++members;
        const std::string& name = names.at(g.nodes()[i].get());
        EXPECT_NE(std::find(k->origin.begin(), k->origin.end(), name), k->origin.end())
            << "%" << name << " drawn in kernel " << kernel << " that does not compute it";
      }
    EXPECT_GE(members, 1) << kernel;
  }
  // The seed step fuses (penalty + statistics + update into one weight
  // loop, elementwise chains into their producers).
  EXPECT_GE(clusters, 2) << dot;

  // Without fusion every kernel computes one node: no kernel clusters.
  TrainingStep unfused = seedStep(false);
  Graph ug = loweredGraph(unfused);
  EXPECT_EQ(graphToDot(ug, &unfused.loopModule()).find("cluster_kernel_"), std::string::npos);
  // Without a module: parts only.
  EXPECT_EQ(graphToDot(g).find("cluster_kernel_"), std::string::npos);
}

TEST(GraphDot, GraphvizAcceptsTheSeedStep) {
  requireGraphviz();
  TrainingStep step = seedStep();
  Graph g = loweredGraph(step);
  std::string dot = graphToDot(g, &step.loopModule());
  std::string svg = dotToSvg(dot);
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  // Graphviz writes each cluster as <g class="cluster"> titled with its name.
  EXPECT_EQ(count(svg, "class=\"cluster\""), count(dot, "subgraph cluster_"));
  EXPECT_NE(svg.find("<title>cluster_part_forward</title>"), std::string::npos);
  EXPECT_NE(svg.find("<title>cluster_kernel_0</title>"), std::string::npos);
}

TEST(GraphDot, GraphvizAcceptsTheW2Step) {
  requireGraphviz();
  TrainingStep step = w2Step();
  Graph g = loweredGraph(step);
  std::string dot = graphToDot(g, &step.loopModule());
  std::string svg = dotToSvg(dot);
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  EXPECT_NE(svg.find("fc1.weight"), std::string::npos);
  EXPECT_GE(count(svg, "class=\"cluster\""), 6u);
}

TEST(GraphDot, GraphvizErrorsAreReported) {
  requireGraphviz();
  try {
    dotToSvg("digraph { a -> }");
    FAIL() << "dot accepted broken input";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("Graphviz's dot failed"), std::string::npos) << e.what();
  }
}

#include "ir/GraphDot.h"

#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <unordered_map>

#include <fmt/format.h>

#include "ir/Error.h"
#include "ir/GraphPrinter.h"

namespace sigma {

namespace {

constexpr std::array<Part, 5> kParts = {Part::Forward, Part::Backward, Part::Penalty, Part::Update, Part::Stats};

// Pastel fills that stay readable under black text; the cluster frames use
// a darker shade of the same hue so a part reads as one region.
struct PartStyle {
  const char* fill;
  const char* frame;
};
PartStyle styleOf(Part p) {
  switch (p) {
    case Part::Forward: return {"#cfe2ff", "#3d6fb6"};
    case Part::Backward: return {"#ffe0b3", "#c77a0a"};
    case Part::Penalty: return {"#f8c8dc", "#b0386b"};
    case Part::Update: return {"#c8ecc8", "#2e8b3a"};
    case Part::Stats: return {"#fff3b0", "#a89100"};
  }
  return {"#ffffff", "#000000"};
}

// A DOT double-quoted string. "\n" in `s` must already be the two
// characters backslash-n (DOT's centred line break), so only quotes and
// lone backslashes are escaped.
std::string quote(const std::string& s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '"') out += "\\\"";
    else if (c == '\\' && (i + 1 >= s.size() || s[i + 1] != 'n')) out += "\\\\";
    else if (c == '\\') out += "\\n", ++i;
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out + "\"";
}

std::string nodeLabel(const Node& n, const std::string& name) {
  const std::string type = n.type.str();
  switch (n.op) {
    case Op::Input:
    case Op::Parameter: return fmt::format("%{}\\n{} {}", name, opName(n.op), type);
    case Op::Constant:
      if (n.isSplat()) return fmt::format("%{} = {}\\n{}", name, printFloat(n.splatValue(), false), type);
      return fmt::format("%{} = const [{} values]\\n{}", name, n.values.size(), type);
    default: break;
  }
  std::string label = fmt::format("%{} = {}", name, opName(n.op));
  if (n.transposeA || n.transposeB)
    label += n.transposeA && n.transposeB ? " {tA,tB}" : n.transposeA ? " {tA}" : " {tB}";
  return label + "\\n" + type;
}

const char* nodeShape(const Node& n) {
  switch (n.op) {
    case Op::Input: return "invhouse";
    case Op::Parameter: return "cylinder";
    case Op::Constant: return "plain";
    default: return "box";
  }
}

// A kernel that computes two or more nodes of this graph: one fused group.
struct Group {
  const loop::Kernel* kernel;
  std::vector<size_t> members;  // node indices claimed by this group
  size_t originCount = 0;       // graph nodes the kernel computes (some may be drawn in an earlier group)
  bool mixed = false;           // members span more than one part
  Part part = Part::Forward;
};

std::vector<Group> fusedGroups(const Graph& g, const loop::Module& m, std::vector<int>& groupOf) {
  auto names = valueNames(g);
  std::unordered_map<std::string, size_t> indexOf;
  for (size_t i = 0; i < g.nodes().size(); ++i) indexOf[names.at(g.nodes()[i].get())] = i;

  std::vector<Group> groups;
  for (const loop::Kernel& k : m.kernels) {
    std::vector<size_t> known;
    for (const std::string& o : k.origin) {
      auto it = indexOf.find(o);
      if (it != indexOf.end() && std::find(known.begin(), known.end(), it->second) == known.end())
        known.push_back(it->second);
    }
    if (known.size() < 2) continue;
    Group group{&k, {}, known.size()};
    // An elementwise producer inlined into several consumers is recomputed
    // in each; DOT draws a node once, so the first kernel keeps it.
    for (size_t i : known)
      if (groupOf[i] < 0) groupOf[i] = int(groups.size()), group.members.push_back(i);
    if (group.members.empty()) continue;
    group.part = g.nodes()[group.members[0]]->part;
    for (size_t i : group.members) group.mixed |= g.nodes()[i]->part != group.part;
    groups.push_back(std::move(group));
  }
  return groups;
}

class DotWriter {
 public:
  DotWriter(const Graph& g, const loop::Module* m) : g_(g), names_(valueNames(g)), groupOf_(g.nodes().size(), -1) {
    if (m) groups_ = fusedGroups(g, *m, groupOf_);
  }

  std::string run() {
    out_ += fmt::format("digraph {} {{\n", quote(g_.name()));
    out_ += "  graph [rankdir=TB, newrank=true, fontname=\"Helvetica\", fontsize=12, labelloc=t,\n";
    out_ += fmt::format("         label={}];\n", quote(title()));
    out_ += "  node [fontname=\"Helvetica\", fontsize=10, style=\"filled,rounded\", shape=box];\n";
    out_ += "  edge [color=\"#555555\", arrowsize=0.6];\n";
    legend();
    for (Part p : kParts) partCluster(p);
    for (size_t gi = 0; gi < groups_.size(); ++gi)
      if (groups_[gi].mixed) groupCluster(gi, "  ");
    sinks();
    edges();
    return out_ + "}\n";
  }

 private:
  std::string title() const {
    std::string t = "graph @" + g_.name() + ": " + std::to_string(g_.nodes().size()) + " nodes";
    if (!groups_.empty()) t += ", " + std::to_string(groups_.size()) + " fused kernels (boxes labelled kernel @...)";
    return t;
  }

  void legend() {
    out_ += "  subgraph cluster_legend {\n    label=\"parts\"; style=\"rounded\"; color=\"#999999\";\n";
    for (Part p : kParts)
      out_ += fmt::format("    legend_{} [label={}, fillcolor=\"{}\", color=\"{}\"];\n", partName(p),
                          quote(partName(p)), styleOf(p).fill, styleOf(p).frame);
    // Chained invisibly so the legend is one row and does not float.
    out_ += "    { rank=same; ";
    for (Part p : kParts) out_ += fmt::format("legend_{}; ", partName(p));
    out_ += "}\n    ";
    for (size_t i = 0; i < kParts.size(); ++i) out_ += fmt::format("{}legend_{}", i ? " -> " : "", partName(kParts[i]));
    out_ += " [style=invis];\n  }\n";
  }

  void nodeLine(size_t i, const std::string& indent) {
    const Node& n = *g_.nodes()[i];
    PartStyle s = styleOf(n.part);
    out_ += fmt::format("{}n{} [label={}, shape={}, fillcolor=\"{}\", color=\"{}\"{}];\n", indent, i,
                        quote(nodeLabel(n, names_.at(&n))), nodeShape(n), s.fill, s.frame,
                        n.op == Op::Constant ? ", fontsize=8" : "");
  }

  void partCluster(Part p) {
    std::string body;
    std::swap(body, out_);
    for (size_t i = 0; i < g_.nodes().size(); ++i)
      if (g_.nodes()[i]->part == p && groupOf_[i] < 0) nodeLine(i, "    ");
    for (size_t gi = 0; gi < groups_.size(); ++gi)
      if (!groups_[gi].mixed && groups_[gi].part == p) groupCluster(gi, "    ");
    std::swap(body, out_);
    if (body.empty()) return;  // a forward-only graph has no backward cluster
    PartStyle s = styleOf(p);
    out_ += fmt::format("  subgraph cluster_part_{} {{\n    label={}; style=\"dashed,rounded\"; color=\"{}\"; fontcolor=\"{}\";\n",
                        partName(p), quote(partName(p)), s.frame, s.frame);
    out_ += body + "  }\n";
  }

  void groupCluster(size_t gi, const std::string& indent) {
    const Group& group = groups_[gi];
    std::string label = "kernel @" + group.kernel->name;
    if (group.originCount != group.members.size())
      label += fmt::format(" ({} nodes, {} drawn elsewhere)", group.originCount, group.originCount - group.members.size());
    else label += fmt::format(" ({} nodes)", group.originCount);
    out_ += fmt::format("{}subgraph cluster_kernel_{} {{\n{}  label={}; style=\"filled,rounded\"; fillcolor=\"#f4f4f4\"; "
                        "color=\"#333333\"; penwidth=1.5;\n",
                        indent, gi, indent, quote(label));
    if (!group.mixed) {
      for (size_t i : group.members) nodeLine(i, indent + "  ");
    } else {
      // A kernel spanning parts keeps them apart inside it, so every node
      // still sits in a frame of its part's colour.
      for (Part p : kParts) {
        std::vector<size_t> inPart;
        for (size_t i : group.members)
          if (g_.nodes()[i]->part == p) inPart.push_back(i);
        if (inPart.empty()) continue;
        PartStyle s = styleOf(p);
        out_ += fmt::format("{}  subgraph cluster_kernel_{}_{} {{\n{}    label={}; style=\"dashed,rounded\"; "
                            "color=\"{}\"; fontcolor=\"{}\";\n",
                            indent, gi, partName(p), indent, quote(partName(p)), s.frame, s.frame);
        for (size_t i : inPart) nodeLine(i, indent + "    ");
        out_ += indent + "  }\n";
      }
    }
    out_ += indent + "}\n";
  }

  // Outputs and updates are where values leave the step: drawn as notes
  // below the node that computes them, outside every cluster.
  void sinks() {
    for (size_t i = 0; i < g_.outputs().size(); ++i) {
      const GraphOutput& o = g_.outputs()[i];
      if (!o.value) continue;
      out_ += fmt::format("  out{} [label={}, shape=note, style=filled, fillcolor=\"{}\"];\n", i,
                          quote("output %" + o.name), styleOf(o.value->part).fill);
    }
    for (size_t i = 0; i < g_.updates().size(); ++i) {
      const GraphUpdate& u = g_.updates()[i];
      if (!u.parameter || !u.value) continue;
      out_ += fmt::format("  upd{} [label={}, shape=note, style=filled, fillcolor=\"{}\"];\n", i,
                          quote("update %" + names_.at(u.parameter)), styleOf(Part::Update).fill);
    }
  }

  void edges() {
    std::unordered_map<const Node*, size_t> index;
    for (size_t i = 0; i < g_.nodes().size(); ++i) index[g_.nodes()[i].get()] = i;
    auto ref = [&](const Node* n) -> std::string {
      auto it = index.find(n);
      return it == index.end() ? "" : fmt::format("n{}", it->second);
    };
    for (size_t i = 0; i < g_.nodes().size(); ++i)
      for (const Node* in : g_.nodes()[i]->inputs)
        if (std::string from = ref(in); !from.empty()) out_ += fmt::format("  {} -> n{};\n", from, i);
    for (size_t i = 0; i < g_.outputs().size(); ++i)
      if (std::string from = ref(g_.outputs()[i].value); !from.empty()) out_ += fmt::format("  {} -> out{};\n", from, i);
    for (size_t i = 0; i < g_.updates().size(); ++i)
      if (std::string from = ref(g_.updates()[i].value); !from.empty() && g_.updates()[i].parameter)
        out_ += fmt::format("  {} -> upd{} [color=\"{}\", penwidth=1.5];\n", from, i, styleOf(Part::Update).frame);
  }

  const Graph& g_;
  std::unordered_map<const Node*, std::string> names_;
  std::vector<int> groupOf_;  // node index -> its fused group, or -1
  std::vector<Group> groups_;
  std::string out_;
};

std::string findOnPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    std::string candidate = (dir.empty() ? "." : dir) + "/" + program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

std::string graphToDot(const Graph& graph, const loop::Module* fusedKernels) {
  return DotWriter(graph, fusedKernels).run();
}

bool graphvizAvailable() { return !findOnPath("dot").empty(); }

std::string dotToSvg(const std::string& dot) {
  const std::string program = findOnPath("dot");
  if (program.empty())
    fail("Graphviz's `dot` is not installed (not on PATH), so there is no SVG: install Graphviz "
         "(Debian: apt-get install graphviz, or scripts/install-deps.sh), or use --emit dot and render it elsewhere");
  char pattern[] = "/tmp/sigma-dot-XXXXXX";
  if (!::mkdtemp(pattern)) fail("cannot create a temporary directory for Graphviz in /tmp");
  const std::filesystem::path dir = pattern;
  struct Cleanup {
    std::filesystem::path dir;
    ~Cleanup() {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  } cleanup{dir};
  {
    std::ofstream in(dir / "graph.dot", std::ios::binary);
    in << dot;
    if (!in) fail("cannot write {}", (dir / "graph.dot").string());
  }
  // The paths are ours (mkdtemp under /tmp: no quotes or spaces).
  const std::string command = fmt::format("'{}' -Tsvg '{}' -o '{}' 2> '{}'", program, (dir / "graph.dot").string(),
                                          (dir / "graph.svg").string(), (dir / "errors.txt").string());
  int status = std::system(command.c_str());
  if (status != 0) {
    std::string errors = slurp(dir / "errors.txt");
    while (!errors.empty() && (errors.back() == '\n' || errors.back() == '\r')) errors.pop_back();
    fail("Graphviz's dot failed ({}): {}",
         WIFEXITED(status) ? fmt::format("exit {}", WEXITSTATUS(status)) : std::string("killed"),
         errors.empty() ? "no message" : errors);
  }
  return slurp(dir / "graph.svg");
}

}  // namespace sigma

// sigma opt FILE --passes a,b,c: runs passes on graph-IR (.sg) or loop-IR
// (.sl) text and prints the result; the driver of the lit tests.
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "ir/GraphParser.h"
#include "ir/LoopParser.h"
#include "passes/PassManager.h"
#include "tools/Commands.h"

namespace sigma::cli {

namespace {
std::vector<std::string> splitList(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

// "graph" or "module": the first word that is not in a // comment.
std::string firstKeyword(const std::string& text) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    size_t start = line.find_first_not_of(" \t\r");
    if (start == std::string::npos || line.compare(start, 2, "//") == 0) continue;
    return line.substr(start, line.find_first_of(" \t{", start) - start);
  }
  return "";
}
}  // namespace

PassOptions passOptionsFromFlags(Args& args) {
  PassOptions o;
  o.printAfterAll = args.flag("print-after-all");
  while (auto p = args.value("print-after")) o.printAfter.insert(*p);
  o.dumpDir = args.value("dump-dir", "");
  o.timePasses = args.flag("time-passes");
  o.noFusion = args.flag("no-fusion");
  for (const std::string& p : o.printAfter) resolvePasses({p});  // unknown names are errors
  return o;
}

int optCommand(Args& args) {
  if (args.flag("list-passes")) {
    for (const PassInfo& p : passRegistry())
      fmt::print("{:<28} {}{}\n", p.name, p.description, p.isFusion ? " [fusion]" : "");
    return 0;
  }
  const std::string passes = args.value("passes", "");
  // What lower-to-loops tailors the matmul register block to; AVX2's by
  // default, so that the printed IR is the same on every host.
  const std::string target = args.value("target", "avx2");
  LoweringTarget lowering;
  if (target == "avx512") lowering = {.vectorRegisters = 32, .vectorLanes = 16};
  else if (target == "host") lowering = LoweringTarget::host();
  else if (target != "avx2") fail("--target '{}' is not one of avx2, avx512, host", target);
  const long long l2Kib = args.integer("l2-kib", lowering.l2Bytes / 1024);
  if (l2Kib < 0) fail("--l2-kib {} is negative", l2Kib);
  lowering.l2Bytes = int64_t(l2Kib) * 1024;
  PassOptions options = passOptionsFromFlags(args);
  std::optional<std::string> file = args.positional();
  args.finish();
  if (!file) fail("sigma opt: which file? usage: sigma opt FILE.sg --passes a,b,c");

  std::ifstream in(*file);
  if (!in) fail("cannot open {}", *file);
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();

  IRUnit unit;
  unit.target = lowering;
  const std::string keyword = firstKeyword(text);
  if (keyword == "module") {
    unit.level = IRLevel::Loop;
    unit.loops = parseModule(text, *file);
  } else {
    unit.graph = parseGraph(text, *file);  // reports what it expected if this is not a graph either
  }
  PassManager pm(options);
  pm.run(unit, resolvePasses(splitList(passes)));
  // What the passes decided, as comments: the output still parses.
  for (const std::string& r : unit.remarks) fmt::print("// {}\n", r);
  fmt::print("{}", unit.text());
  if (options.timePasses) fmt::print(stderr, "{}", pm.timingReport());
  return 0;
}

}  // namespace sigma::cli

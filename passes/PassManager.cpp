#include "passes/PassManager.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "ir/Error.h"
#include "ir/GraphPrinter.h"
#include "ir/GraphVerifier.h"
#include "ir/LoopPrinter.h"
#include "ir/LoopVerifier.h"

namespace sigma {

const PassInfo* findPass(const std::string& name) {
  for (const PassInfo& p : passRegistry())
    if (p.name == name) return &p;
  return nullptr;
}

std::vector<const PassInfo*> resolvePasses(const std::vector<std::string>& names) {
  std::vector<const PassInfo*> out;
  for (const std::string& n : names) {
    const PassInfo* p = findPass(n);
    if (!p) {
      std::string known;
      for (const PassInfo& q : passRegistry()) known += (known.empty() ? "" : ", ") + q.name;
      fail("unknown pass '{}' (known passes: {})", n, known);
    }
    out.push_back(p);
  }
  return out;
}

std::string IRUnit::text() const { return level == IRLevel::Graph ? printGraph(graph) : printModule(loops); }

PassManager::PassManager(PassOptions options) : options_(std::move(options)) {
  if (!options_.print) options_.print = [](const std::string& s) { fmt::print(stderr, "{}", s); };
  if (!options_.dumpDir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(options_.dumpDir, ec);
    if (ec) fail("--dump-dir {}: cannot create the directory: {}", options_.dumpDir, ec.message());
  }
}

void PassManager::recordStage(const std::string& name, const std::string& text, const std::string& extension,
                              double ms, const std::vector<std::string>& remarks) {
  timings_.push_back({name, ms});
  if (text.empty() && remarks.empty()) return;
  // Remarks go first, as comments: the dump still parses back.
  std::string commented;
  const char* comment = extension == "ll" || extension == "s" ? "; " : "// ";
  for (const std::string& r : remarks) commented += comment + r + "\n";
  if (options_.printAfterAll || options_.printAfter.count(name))
    options_.print(fmt::format("// ----- IR after {} -----\n{}{}", name, commented, text));
  if (!options_.dumpDir.empty()) {
    const std::string file = fmt::format("{:02d}-{}.{}", ++dumpCounter_, name, extension);
    auto path = std::filesystem::path(options_.dumpDir) / file;
    std::ofstream out(path);
    out << commented << text;
    if (!out) fail("--dump-dir: cannot write {}", path.string());
    writeIndex(file, name, text, remarks, ms);
  }
}

// DIR/index.txt lists every dump with what changed since the previous one:
// its size in lines (and the difference), its time, and the pass's remarks.
void PassManager::writeIndex(const std::string& file, const std::string& name, const std::string& text,
                             const std::vector<std::string>& remarks, double ms) {
  const int64_t lines = std::count(text.begin(), text.end(), '\n');
  std::string change = previousLines_ < 0 ? "first stage"
                                          : fmt::format("{:+d} lines", lines - previousLines_);
  previousLines_ = lines;
  index_ += fmt::format("{:<44} {:>7} lines ({}), {:.2f} ms, {} remark{}\n", file, lines, change, ms, remarks.size(),
                        remarks.size() == 1 ? "" : "s");
  for (const std::string& r : remarks) index_ += "    " + r + "\n";
  auto path = std::filesystem::path(options_.dumpDir) / "index.txt";
  std::ofstream out(path);
  out << "# Sigma stage dumps, in pipeline order (one file per stage and pass)\n" << index_;
  if (!out) fail("--dump-dir: cannot write {}", path.string());
}

void PassManager::after(const std::string& name, const IRUnit& unit, size_t firstRemark, double ms) {
  // The verifier runs after every pass: a pass that breaks the IR is named.
  try {
    if (unit.level == IRLevel::Graph) verifyGraph(unit.graph);
    else verifyModule(unit.loops);
  } catch (const Error& e) {
    fail("the IR is invalid after pass '{}': {}", name, e.what());
  }
  bool wantsText = options_.printAfterAll || options_.printAfter.count(name) || !options_.dumpDir.empty();
  std::vector<std::string> remarks(unit.remarks.begin() + long(firstRemark), unit.remarks.end());
  recordStage(name, wantsText ? unit.text() : std::string(), unit.level == IRLevel::Graph ? "sg" : "sl", ms,
              wantsText ? remarks : std::vector<std::string>{});
}

void PassManager::run(IRUnit& unit, const std::vector<const PassInfo*>& passes) {
  // The input is verified too, so that bad input is not blamed on a pass.
  try {
    if (unit.level == IRLevel::Graph) verifyGraph(unit.graph);
    else verifyModule(unit.loops);
  } catch (const Error& e) {
    fail("the input IR is invalid: {}", e.what());
  }
  for (const PassInfo* p : passes) {
    if (options_.noFusion && p->isFusion) continue;
    if (p->level != unit.level)
      fail("pass '{}' works on the {} IR, but the IR is already {}", p->name,
           p->level == IRLevel::Graph ? "graph" : "loop", unit.level == IRLevel::Graph ? "graph IR" : "lowered to loops");
    auto t0 = std::chrono::steady_clock::now();
    const size_t firstRemark = unit.remarks.size();
    // The training loop's kernels (passes/AddTrainingLoop.h) are glue around
    // the step, not part of it: no pass may fuse, plan or parallelize them,
    // so they sit out each loop pass and come back after it unchanged.
    std::vector<loop::Kernel> loopKernels;
    if (unit.level == IRLevel::Loop) {
      for (loop::Kernel& k : unit.loops.kernels)
        if (k.role != loop::KernelRole::Step) loopKernels.push_back(std::move(k));
      std::erase_if(unit.loops.kernels, [](const loop::Kernel& k) { return k.role != loop::KernelRole::Step; });
    }
    p->run(unit);
    for (loop::Kernel& k : loopKernels) unit.loops.kernels.push_back(std::move(k));
    after(p->name, unit, firstRemark,
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
}

std::string PassManager::timingReport() const {
  double total = 0;
  for (const PassTiming& t : timings_) total += t.milliseconds;
  std::string s = fmt::format("===== Sigma pass timing =====\n{:>10}  {:>6}  {}\n", "ms", "%", "stage / pass");
  for (const PassTiming& t : timings_)
    s += fmt::format("{:>10.3f}  {:>5.1f}%  {}\n", t.milliseconds, total > 0 ? 100 * t.milliseconds / total : 0, t.name);
  return s + fmt::format("{:>10.3f}  100.0%  total\n", total);
}

}  // namespace sigma

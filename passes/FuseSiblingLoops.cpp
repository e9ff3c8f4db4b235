#include "passes/FuseSiblingLoops.h"

#include <algorithm>

#include <fmt/format.h>

#include "passes/LoopAnalysis.h"
#include "passes/LoopFusion.h"

namespace sigma {

using namespace loop;

namespace {

std::vector<std::vector<int64_t>> loopSpaces(const Kernel& k) {
  std::vector<std::vector<int64_t>> out;
  for (auto& s : iterationSpaces(k))
    if (!s.empty() && std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
  return out;
}

bool related(const Kernel& a, const Kernel& b) {
  std::set<std::string> ra = buffersRead(a), wa = buffersWritten(a), rb = buffersRead(b);
  for (const std::string& x : rb)
    if (ra.count(x) || wa.count(x)) return true;
  return false;
}

int countNests(const Kernel& k) {
  int n = 0;
  for (auto& s : iterationSpaces(k)) n += !s.empty();
  return n;
}

bool fuseOnePair(Module& m, std::vector<std::string>& remarks) {
  for (size_t i = 0; i < m.kernels.size(); ++i) {
    auto spaces = loopSpaces(m.kernels[i]);
    if (spaces.size() != 1) continue;
    for (size_t j = i + 1; j < m.kernels.size(); ++j) {
      if (loopSpaces(m.kernels[j]) != spaces || !related(m.kernels[i], m.kernels[j])) continue;
      Module trial = m;
      std::string why, name = m.kernels[i].name;
      const int before = countNests(m.kernels[i]) + countNests(m.kernels[j]);
      const std::string other = m.kernels[j].name;
      if (!mergeKernels(trial, {i, j}, name, why)) continue;
      for (Kernel& k : trial.kernels)
        if (k.name == name && (fuseStatements(k), countNests(k) < before)) {
          remarks.push_back(fmt::format("fuse-loops: @{} merged into @{} ({} loop nests -> {})", other, name, before,
                                        countNests(k)));
          m = std::move(trial);
          return true;
        }
    }
  }
  return false;
}

}  // namespace

void fuseSiblingLoops(Module& module, std::vector<std::string>& remarks) {
  while (fuseOnePair(module, remarks)) {
  }
}

}  // namespace sigma

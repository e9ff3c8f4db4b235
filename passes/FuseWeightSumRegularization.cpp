#include "passes/FuseWeightSumRegularization.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "passes/LoopAnalysis.h"
#include "passes/LoopFusion.h"

namespace sigma {

using namespace loop;

namespace {

// The one loop space of a kernel whose statements are scalars or nests over
// a single space; empty if it has none or several.
std::vector<int64_t> singleSpace(const Kernel& k) {
  std::vector<int64_t> space;
  for (const auto& s : iterationSpaces(k)) {
    if (s.empty()) continue;
    if (!space.empty() && s != space) return {};
    space = s;
  }
  return space;
}

int64_t product(const std::vector<int64_t>& v) {
  int64_t p = 1;
  for (int64_t x : v) p *= x;
  return p;
}

}  // namespace

void fuseWeightSumRegularization(Module& m, std::vector<std::string>& remarks) {
  std::vector<std::string> params;
  for (const Buffer& b : m.buffers)
    if (b.kind == BufferKind::Parameter) params.push_back(b.name);

  for (const std::string& w : params) {
    const int64_t size = m.findBuffer(w)->size;
    // Kernels over w's elements that read or write w, grouped by loop space
    // (a [3,2] weight is looped as 3×2); the space of the update wins.
    std::vector<size_t> members;
    std::vector<int64_t> space;
    for (size_t i = 0; i < m.kernels.size(); ++i) {
      std::vector<int64_t> s = singleSpace(m.kernels[i]);
      if (s.empty() || product(s) != size) continue;
      if (!buffersRead(m.kernels[i]).count(w) && !buffersWritten(m.kernels[i]).count(w)) continue;
      if (space.empty() || buffersWritten(m.kernels[i]).count(w)) space = s;
    }
    // Members: kernels over that space touching w, then, to a fixed point,
    // kernels over it that share a temporary with a member (the gradient
    // the update reads, whose Σg² is a statistic) or consume one it makes.
    std::vector<size_t> candidates;
    for (size_t i = 0; i < m.kernels.size(); ++i)
      if (!space.empty() && singleSpace(m.kernels[i]) == space) candidates.push_back(i);
    std::set<size_t> chosen;
    std::set<std::string> temps;
    for (bool grew = true; grew;) {
      grew = false;
      for (size_t i : candidates) {
        if (chosen.count(i)) continue;
        std::set<std::string> reads = buffersRead(m.kernels[i]), writes = buffersWritten(m.kernels[i]);
        bool touchesW = reads.count(w) || writes.count(w);
        bool sharesTemp = std::any_of(reads.begin(), reads.end(), [&](const std::string& b) { return temps.count(b); });
        if (!touchesW && !sharesTemp) continue;
        chosen.insert(i), grew = true;
        for (const std::set<std::string>* set : {&reads, &writes})
          for (const std::string& b : *set)
            if (m.findBuffer(b)->kind == BufferKind::Temp) temps.insert(b);
      }
    }
    members.assign(chosen.begin(), chosen.end());
    if (members.size() < 2) continue;

    std::string names;
    for (size_t i : members) names += (names.empty() ? "@" : ", @") + m.kernels[i].name;
    std::string why;
    const std::string kernelName = "weight_update_" + w;
    if (!mergeKernels(m, members, kernelName, why)) {
      remarks.push_back(fmt::format("fuse-weight-sum-regularization: %{}: not fused: {}", w, why));
      continue;
    }
    for (Kernel& k : m.kernels)
      if (k.name == kernelName) {
        fuseStatements(k);
        int nests = 0;
        for (const auto& s : iterationSpaces(k)) nests += !s.empty();
        remarks.push_back(fmt::format("fuse-weight-sum-regularization: %{}: {} kernels ({}) -> @{}, {} pass{} over %{}",
                                      w, members.size(), names, kernelName, nests, nests == 1 ? "" : "es", w));
      }
  }
}

}  // namespace sigma

#include "passes/PlanMemory.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "passes/LoopAnalysis.h"

namespace sigma {

using namespace loop;

namespace {
int64_t bytesOf(const Buffer& b) { return b.size * (b.type == ScalarType::I64 ? 8 : 4); }
int64_t align64(int64_t n) { return (n + 63) & ~int64_t(63); }

struct Interval {
  size_t first, last;  // kernel indices
  bool overlaps(const Interval& o) const { return first <= o.last && o.first <= last; }
};
}  // namespace

int64_t unplannedTempBytes(const Module& m) {
  int64_t total = 0;
  for (const Buffer& b : m.buffers)
    if (b.kind == BufferKind::Temp) total += align64(bytesOf(b));
  return total;
}

void planMemory(Module& m, std::vector<std::string>& remarks) {
  std::map<std::string, Interval> live;
  for (size_t k = 0; k < m.kernels.size(); ++k)
    for (const Access& a : collectAccesses(m.kernels[k].body)) {
      auto [it, fresh] = live.try_emplace(a.buffer, Interval{k, k});
      if (!fresh) it->second.last = k;
    }

  std::vector<Buffer*> temps;
  for (Buffer& b : m.buffers)
    if (b.kind == BufferKind::Temp && live.count(b.name)) temps.push_back(&b);
  std::stable_sort(temps.begin(), temps.end(), [](const Buffer* a, const Buffer* b) { return bytesOf(*a) > bytesOf(*b); });

  std::vector<const Buffer*> placed;
  for (Buffer* b : temps) {
    const Interval& life = live.at(b->name);
    // Occupied byte ranges of already placed buffers alive at the same time.
    std::vector<std::pair<int64_t, int64_t>> busy;
    for (const Buffer* p : placed)
      if (live.at(p->name).overlaps(life)) busy.push_back({p->offset, p->offset + align64(bytesOf(*p))});
    std::sort(busy.begin(), busy.end());
    int64_t offset = 0;
    for (auto [start, end] : busy) {
      if (offset + bytesOf(*b) <= start) break;
      offset = std::max(offset, end);
    }
    b->offset = offset;
    placed.push_back(b);
  }
  remarks.push_back(fmt::format("plan-memory: {} temporaries in a {}-byte arena ({} bytes without reuse)", temps.size(),
                                m.tempArenaBytes(), unplannedTempBytes(m)));
}

}  // namespace sigma

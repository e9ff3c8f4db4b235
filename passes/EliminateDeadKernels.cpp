#include "passes/EliminateDeadKernels.h"

#include <fmt/format.h>

#include "passes/LoopAnalysis.h"

namespace sigma {

using namespace loop;

void eliminateDeadKernels(Module& m, std::vector<std::string>& remarks) {
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t i = m.kernels.size(); i-- > 0;) {
      std::set<std::string> writes = buffersWritten(m.kernels[i]);
      bool live = writes.empty();  // a kernel with no effect at all is dead too, but say so below
      for (const std::string& w : writes) {
        const Buffer* b = m.findBuffer(w);
        if (!b || b->kind != BufferKind::Temp) live = true;
        for (size_t j = 0; j < m.kernels.size() && !live; ++j)
          if (j != i && buffersRead(m.kernels[j]).count(w)) live = true;
      }
      if (live) continue;
      remarks.push_back(fmt::format("eliminate-dead-kernels: removed @{} (its results are never read)", m.kernels[i].name));
      m.kernels.erase(m.kernels.begin() + long(i));
      changed = true;
    }
  }
  std::set<std::string> used;
  for (const Kernel& k : m.kernels)
    for (const Access& a : collectAccesses(k.body)) used.insert(a.buffer);
  std::erase_if(m.buffers, [&](const Buffer& b) { return b.kind == BufferKind::Temp && !used.count(b.name); });
}

}  // namespace sigma

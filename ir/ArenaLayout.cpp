#include "ir/ArenaLayout.h"

#include <algorithm>

namespace sigma::loop {

ArenaLayout arenaLayout(const Module& module) {
  auto alignUp = [](int64_t n) { return (n + 63) & ~int64_t(63); };
  ArenaLayout layout;
  for (const Buffer& b : module.buffers) {
    const bool own = b.offset < 0 && b.kind != BufferKind::Extern;
    layout.offsets.push_back(b.kind == BufferKind::Extern ? -1 : layout.bytes);
    if (own) layout.bytes += alignUp(std::max<int64_t>(b.size, 1) * elementBytes(b.type));
  }
  const int64_t tempRegion = layout.bytes;
  for (size_t i = 0; i < module.buffers.size(); ++i)
    if (module.buffers[i].offset >= 0) layout.offsets[i] = tempRegion + module.buffers[i].offset;
  layout.bytes += alignUp(module.tempArenaBytes());
  return layout;
}

}  // namespace sigma::loop

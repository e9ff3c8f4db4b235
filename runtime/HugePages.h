// Transparent huge pages for big buffers that are read at random or
// streamed every step. Debian's kernels grant them on request (`madvise`
// mode); where the kernel refuses, the advice is a no-op and the pages stay
// small.
#pragma once

#include <cstddef>

namespace sigma {

inline constexpr size_t kHugePageBytes = size_t(2) << 20;

// Advises the whole 2 MiB pages inside [data, data + bytes) into huge
// pages. Call it before the memory is first touched: the pages are then
// huge when they fault in (later, the kernel only collapses them in the
// background). Nothing happens for a range without a whole huge page.
void adviseHugePages(void* data, size_t bytes);

}  // namespace sigma

// What compiled code calls back into, and how it finds it.
//
// A module with parallel loops (ir/LoopIR.h) needs a thread pool. The entry
// point finds it one slot past the buffers: buffers[module.buffers.size()]
// points to a RuntimeABI, read once per step. Each parallel loop becomes a
// chunk function `KERNEL.VAR.chunk(buffers..., begin, end)` running the
// loop's iterations [begin, end), and a task `KERNEL.VAR.task(ctx, begin,
// end)` that unpacks the kernel's buffer pointers from ctx; the kernel calls
//   runtime->parallelFor(runtime->pool, task, ctx, extent)
// which must run task over chunks covering [0, extent) exactly once each
// and return when all are done (runtime/ThreadPool.h does). A module
// without parallel loops never reads the slot.
#pragma once

#include <cstdint>

namespace sigma::codegen {

struct RuntimeABI {
  void (*parallelFor)(void* pool, void (*task)(void* ctx, int64_t begin, int64_t end), void* ctx, int64_t extent);
  void* pool;
};

}  // namespace sigma::codegen

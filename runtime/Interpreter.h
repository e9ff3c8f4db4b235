// The reference interpreter of the loop IR: slow, obviously correct, and the
// oracle every JIT-compiled kernel is checked against.
#pragma once

#include "ir/LoopIR.h"

namespace sigma {

// Runs every kernel of `module` in order. buffers[i] points to the storage of
// module.buffers[i] (float for f32, int32_t for i32, int64_t for i64), the
// same calling convention as the JIT-compiled entry point. Out-of-bounds
// accesses throw sigma::Error naming the kernel, buffer and index.
void interpret(const loop::Module& module, void* const* buffers);

}  // namespace sigma

// The reference interpreter of the loop IR: slow, obviously correct, and the
// oracle every JIT-compiled kernel is checked against.
#pragma once

#include <cstdint>
#include <span>

#include "ir/LoopIR.h"

namespace sigma {

// Runs every step kernel of `module` in order (not the training loop's
// loop_in, loop_ahead and loop_out kernels). buffers[i] points to the storage of
// module.buffers[i] (float for f32, int32_t for i32, int64_t for i64), the
// same calling convention as the JIT-compiled entry point. Out-of-bounds
// accesses throw sigma::Error naming the kernel, buffer and index.
void interpret(const loop::Module& module, void* const* buffers);

// Runs the module's training loop (ir/LoopIR.h) for %step in [begin, end):
// each step, the loop_in kernels, the loop_ahead ones (but in the last
// step, end - 1), the step kernels, then the loop_out kernels, in module
// order. externSizes[i] is the number of elements bound
// to extern buffer i (the bounds its accesses are checked against).
void interpretLoop(const loop::Module& module, void* const* buffers, std::span<const int64_t> externSizes,
                   int64_t begin, int64_t end);

}  // namespace sigma

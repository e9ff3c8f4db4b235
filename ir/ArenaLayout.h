// Where an executable keeps a loop-IR module's buffers: one arena laid out
// from the module alone, so that the runtime (which allocates it) and the
// code generator (whose compiled training loop addresses buffers as arena +
// offset) agree without talking to each other.
#pragma once

#include <cstdint>
#include <vector>

#include "ir/LoopIR.h"

namespace sigma::loop {

// Where an Executable keeps each buffer (runtime/Executable.h): one
// 64-byte-aligned arena, the buffers with storage of their own first (each
// 64-byte aligned, in module order), then the temporaries' shared region
// at their planned offsets. offsets[i] is buffer i's byte offset, -1 for an
// extern buffer (the caller's storage). The compiled training loop
// addresses buffers as arena + offset (codegen/EntryEmitter.h).
struct ArenaLayout {
  std::vector<int64_t> offsets;
  int64_t bytes = 0;
};
ArenaLayout arenaLayout(const Module& module);

}  // namespace sigma::loop

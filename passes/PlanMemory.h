// Memory planning ("plan-memory"): temporaries whose lifetimes do not
// overlap share bytes of one arena, planned at compile time, so that a step
// touches little memory and never allocates (on the reference VM a fresh
// page costs ~11 µs). A temporary lives from the first to the last kernel
// that uses it; placement is first-fit by decreasing size, 64-byte aligned.
// In-place updates need no planning here: after fuse-elementwise an update
// writes the parameter it reads, point by point.
#pragma once

#include <string>
#include <vector>

#include "ir/LoopIR.h"

namespace sigma {

void planMemory(loop::Module& module, std::vector<std::string>& remarks);

// Bytes the temporaries would take each in their own storage.
int64_t unplannedTempBytes(const loop::Module& module);

}  // namespace sigma

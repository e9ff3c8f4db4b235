// Scalarize point-local temporaries ("scalarize-temporaries"): after fusion,
// a temporary is often written and read back at the same point of one loop
// body and nowhere else (the regularized gradient that the statistics, the
// weight update and the momentum update all read). Kept as a buffer, it
// costs a full extra write pass over memory and arena bytes of its size;
// since each iteration writes it before reading it, one element holds it as
// well, and LLVM keeps that element in a register: one element per
// iteration of the loops around the innermost one (one per row), so that
// rows, which may run on different threads, never share it. This is the
// loop IR's register promotion: no arithmetic changes, so no result changes.
#pragma once

#include <string>
#include <vector>

#include "ir/LoopIR.h"

namespace sigma {

void scalarizeTemporaries(loop::Module& module, std::vector<std::string>& remarks);

}  // namespace sigma

// Loop-level dead-code elimination ("eliminate-dead-kernels"): removes
// kernels whose every write goes to temporaries nobody else reads, and
// temporary buffers no kernel touches any more (fusion leaves both behind).
#pragma once

#include <string>
#include <vector>

#include "ir/LoopIR.h"

namespace sigma {

void eliminateDeadKernels(loop::Module& module, std::vector<std::string>& remarks);

}  // namespace sigma

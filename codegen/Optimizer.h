// LLVM's middle end over a generated module: the new pass manager's default
// pipelines (what `opt -O0..-O3` runs), tuned for the host CPU.
// Internal to codegen/: includes LLVM headers.
#pragma once

namespace llvm {
class Module;
class TargetMachine;
}  // namespace llvm

namespace sigma::codegen {

// Runs the O<optLevel> pipeline (0..3) on `module` in place. The
// TargetMachine supplies the cost models (vector width, instruction costs)
// and target-specific analyses; the module gets its triple and data layout.
void optimizeModule(llvm::Module& module, llvm::TargetMachine& machine, int optLevel);

}  // namespace sigma::codegen

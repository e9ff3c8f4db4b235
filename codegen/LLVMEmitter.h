// loop::Module -> llvm::Module.
//
// Each kernel becomes an internal, noinline function named after the kernel
// (e.g. `matmul_3`) whose parameters are the buffers it touches, in module
// buffer order, as `noalias` pointers with their alignment and size: the
// optimizer may then keep accumulators in registers and vectorize without
// runtime alias checks. The external entry point
//     void sigma_step(void* const* buffers)
// loads buffers[i] for each buffer i of module.buffers that some kernel uses
// and calls the step's kernels in order; a module with a training loop also
// gets `void sigma_loop(void* const* buffers, int64_t begin, int64_t end)`,
// which loads them once and runs, for each step in [begin, end), the
// loop_in kernels (passing %step), the step's and the loop_out kernels
// (inlined there when every buffer of the step is small, as W1's are).
// Const buffers are instead internal
// constant globals (`<name>.const`) holding Buffer::init, as the interpreter
// reads them. Kernels stay out of line (noinline) so that they keep their
// names in assembly(), profiles and debuggers.
// Internal to codegen/: includes LLVM headers.
#pragma once

#include <memory>

#include "ir/LoopIR.h"

namespace llvm {
class LLVMContext;
class Module;
class TargetMachine;
}  // namespace llvm

namespace sigma::codegen {

// The names of the generated entry points: the step, and (for a module
// with a training loop, ir/LoopIR.h) the loop over steps [begin, end).
inline constexpr const char* kEntryName = "sigma_step";
inline constexpr const char* kLoopEntryName = "sigma_loop";

// Builds and verifies the LLVM IR of `module` in `context` for `machine`'s
// triple, data layout, CPU and features (set on every function). Throws
// sigma::Error when the loop IR is malformed or LLVM's verifier rejects the
// result.
std::unique_ptr<llvm::Module> emitLLVMModule(const loop::Module& module, llvm::LLVMContext& context,
                                             const llvm::TargetMachine& machine);

}  // namespace sigma::codegen

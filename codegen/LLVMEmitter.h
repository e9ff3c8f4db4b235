// loop::Module -> llvm::Module.
//
// Each kernel becomes an internal, noinline function named after the kernel
// (e.g. `matmul_3`) whose parameters are the buffers it touches, in module
// buffer order, as `noalias` pointers with their alignment and size: the
// optimizer may then keep accumulators in registers and vectorize without
// runtime alias checks. The external entry points (EntryEmitter.h)
//     void sigma_step(void* const* buffers)
//     void sigma_loop(void* const* buffers, int64_t begin, int64_t end)
// run the step's kernels once, or the training loop's steps [begin, end).
// Const buffers are internal constant globals (`<name>.const`) holding
// Buffer::init, as the interpreter reads them. Kernels stay out of line
// (noinline) so that they keep their names in assembly(), profiles and
// debuggers; only a tiny step's sigma_loop inlines them.
// Internal to codegen/: includes LLVM headers.
#pragma once

#include <memory>

#include "ir/LoopIR.h"

namespace llvm {
class Function;
class GlobalVariable;
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

// Shared with EntryEmitter.cpp. Every function gets the host's CPU and
// features, so that the backend (and the vectorizer's cost model) may use
// all of its instructions.
void addTargetAttributes(llvm::Function& function, const llvm::TargetMachine& machine);
// A const buffer as an internal constant global holding its `init` values,
// as the interpreter reads them (it ignores buffers[i] for const buffers):
// the caller need not fill them in, and the optimizer sees the values.
// Integer elements convert as an f32 -> int cast does: saturating, NaN -> 0.
llvm::GlobalVariable* emitConstant(llvm::Module& llvmModule, const loop::Buffer& buffer);

}  // namespace sigma::codegen

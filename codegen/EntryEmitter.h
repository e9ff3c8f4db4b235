// The entry points around a module's kernel functions (LLVMEmitter.h):
//
//   void sigma_step(void* const* buffers)
//       loads buffers[i] for each buffer a kernel uses and calls the step's
//       kernels once, in order (const buffers are globals instead);
//   void sigma_loop(void* const* buffers, int64_t begin, int64_t end)
//       a module with a training loop (ir/LoopIR.h): for each step in
//       [begin, end), the loop_in kernels (passing %step), the loop_ahead
//       ones (but in the last step, end - 1), the step's, then the loop_out
//       kernels.
//
// A tiny step (W1's: every buffer at most kInlineIntoLoopElements, no
// parallel loop) gets a sigma_loop that the optimizer can see whole: its
// kernels are inlined, and it addresses every buffer of the arena as one
// noalias base plus the buffer's constant offset (ir/LoopIR.h's
// arenaLayout), and the extern buffers as noalias pointers of their own.
// Alias analysis then tells all buffers apart, so values stay in registers
// from one kernel to the next instead of going through memory. What the
// steps rewrite (temporaries, outputs, the inputs loop_in kernels write) is
// a local array of sigma_loop's, copied in from the arena before the first
// step and back after the last, which the optimizer may keep in registers.
// This form needs buffers[i] = arena + arenaLayout(module).offsets[i] for
// every non-extern buffer, which is how Executable lays them out.
// Internal to codegen/: includes LLVM headers.
#pragma once

#include <cstdint>
#include <set>
#include <vector>

#include "ir/LoopIR.h"

namespace llvm {
class Function;
class Module;
class TargetMachine;
}  // namespace llvm

namespace sigma::codegen {

// The largest buffer of a step whose kernels sigma_loop inlines, and the
// most bytes it keeps in local arrays (its stack frame).
inline constexpr int64_t kInlineIntoLoopElements = 4096;
inline constexpr int64_t kLoopLocalBytes = 64 * 1024;

// A kernel's function and the module buffers it takes, in parameter order.
struct KernelFunction {
  llvm::Function* function = nullptr;
  std::vector<int> params;
  bool takesRuntime = false;  // then a RuntimeABI* follows the buffers
};

// Emits the entry points; kernels[k] is module.kernels[k]'s function.
void emitEntryPoints(llvm::Module& llvmModule, const loop::Module& module, const llvm::TargetMachine& machine,
                     const std::vector<KernelFunction>& kernels);

}  // namespace sigma::codegen

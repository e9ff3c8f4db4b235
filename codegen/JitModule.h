// Loop IR -> LLVM IR -> native code, JIT-compiled with ORC LLJIT for the host.
//
// The generated entry point `sigma_step(void* const* buffers)` runs the
// module's kernels in order; buffers[i] points to module.buffers[i]'s storage
// (the interpreter's calling convention). Each kernel becomes an LLVM
// function named after it, taking only the buffers it touches as noalias
// pointers, so that the optimizer may keep accumulators in registers.
#pragma once

#include <memory>
#include <string>

#include "ir/LoopIR.h"

namespace sigma::codegen {

using StepFunction = void (*)(void* const* buffers);

struct CodegenOptions {
  int optLevel = 3;  // 0..3: the LLVM pipeline (O0..O3) and the backend's level
};

class JitModule {
 public:
  // Generates, optimizes for the host CPU (its detected features) and JITs.
  static std::unique_ptr<JitModule> compile(const loop::Module& module, const CodegenOptions& options = {});
  ~JitModule();

  StepFunction entry() const;
  const std::string& llvmIR() const;           // the optimized LLVM IR, as text
  const std::string& unoptimizedLLVMIR() const;  // straight out of IRBuilder
  const std::string& assembly() const;         // host assembly of the optimized IR
  const std::string& targetDescription() const;  // "x86_64 znver3 +avx2,+fma,..."

 private:
  JitModule();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sigma::codegen

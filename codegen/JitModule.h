// Loop IR -> LLVM IR -> native code, JIT-compiled with ORC LLJIT for the host.
//
// The generated entry point `sigma_step(void* const* buffers)` runs the
// module's kernels in order; buffers[i] points to module.buffers[i]'s storage
// (the interpreter's calling convention: float for f32, int32_t for i32,
// int64_t for i64, bool for bool, each aligned for its type and holding
// `size` elements; distinct buffers must not overlap). Const buffers are
// compiled in from Buffer::init, as the interpreter reads them: their
// buffers[i] is never read and may be null. Each kernel becomes an LLVM
// function named after it, taking only the buffers it touches as noalias
// pointers, so that the optimizer may keep accumulators in registers.
//
// Results are bit-for-bit those of sigma::interpret (runtime/Interpreter.h):
// no fast-math, no fma contraction, f32 -> int casts saturate, and tanh /
// exp / log call the process's tanhf / expf / logf. The exceptions are the
// bits of some NaNs, which LLVM leaves unspecified: which NaN an operation
// with two NaN operands returns, and the NaN a constant expression folds to.
// The compiled code does no bounds checks, and an i32/i64 division by zero
// (or MIN / -1) traps, where the interpreter throws sigma::Error: check new
// lowerings with the interpreter first.
//
// Thread safety: every JitModule owns its LLVMContext and its LLJIT, so
// different JitModules may be compiled, run and destroyed on different
// threads at once. One JitModule's accessors are const and safe to call
// concurrently; entry() may run on any thread (several at once only on
// disjoint buffers). The entry point is valid until the JitModule dies.
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
  // Throws sigma::Error for malformed loop IR, an optLevel outside 0..3, or
  // any failure inside LLVM (with LLVM's message).
  static std::unique_ptr<JitModule> compile(const loop::Module& module, const CodegenOptions& options = {});
  ~JitModule();
  JitModule(const JitModule&) = delete;
  JitModule& operator=(const JitModule&) = delete;

  StepFunction entry() const;
  const std::string& llvmIR() const;             // the optimized LLVM IR, as text
  const std::string& unoptimizedLLVMIR() const;  // straight out of IRBuilder
  const std::string& assembly() const;           // host assembly of the optimized IR (made on first call)
  const std::string& targetDescription() const;  // "x86_64 znver3 +avx2,+fma,..."

 private:
  JitModule();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sigma::codegen

// The host machine as LLVM sees it: triple, CPU, features, TargetMachine.
//
// Sigma JIT-compiles for the CPU it runs on, so the LLVM IR, the optimizer
// and the JIT all use one description of the host, detected here: the same
// CPU name and feature string go onto every function ("target-cpu",
// "target-features"), into the optimizer's TargetMachine (cost models,
// vector widths: AVX2 / AVX-512 when present) and into LLJIT's backend.
// Internal to codegen/: includes LLVM headers.
#pragma once

#include <memory>
#include <string>

#include "ir/VectorIsa.h"

#include <llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h>
#include <llvm/Target/TargetMachine.h>

namespace llvm {
class Module;
}

namespace sigma::codegen {

// Registers the native target, its asm printer and asm parser with LLVM.
// Safe to call from any thread, any number of times; runs once per process.
void initializeNativeTarget();

// How to build TargetMachines for the host at optimization level 0..3, with
// every feature of the host, or without AVX-512 for VectorIsa::Avx2 (or
// SIGMA_TARGET=avx2: ir/VectorIsa.h); an error where AVX2 is asked of a CPU
// without AVX2 and FMA. The builder is copyable: the JIT gets one copy,
// assembly() another.
llvm::orc::JITTargetMachineBuilder detectHostTarget(int optLevel, VectorIsa isa = VectorIsa::Host);

// A TargetMachine from the builder; throws sigma::Error when LLVM has no
// backend for the host.
std::unique_ptr<llvm::TargetMachine> createTargetMachine(const llvm::orc::JITTargetMachineBuilder& builder);

// "x86_64 znver3 +avx,+avx2,+fma,...": arch, CPU and the enabled features,
// sorted, so that logs and benchmark reports say what code was made for.
std::string describeTarget(const llvm::orc::JITTargetMachineBuilder& builder);

// The module's host assembly, as `llc` would print it. Runs the backend's
// codegen pipeline on `module` (which it may change: codegen-prepare rewrites
// IR in place), so pass a module nobody needs afterwards.
std::string emitAssembly(llvm::Module& module, llvm::TargetMachine& machine);
// The module's relocatable object file (ELF on Linux), the bytes the JIT
// links: the same backend pipeline as emitAssembly, with the same caveat.
std::string emitObject(llvm::Module& module, llvm::TargetMachine& machine);

}  // namespace sigma::codegen

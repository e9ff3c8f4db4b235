// Loop IR -> LLVM IR -> native code, JIT-compiled with ORC LLJIT for the host.
//
// The generated entry point `sigma_step(void* const* buffers)` runs the
// module's kernels in order; buffers[i] points to module.buffers[i]'s storage
// (the interpreter's calling convention: float for f32, int32_t for i32,
// int64_t for i64, bool for bool, each aligned for its type and holding
// `size` elements; distinct buffers must not overlap). Const buffers are
// compiled in from Buffer::init, as the interpreter reads them: their
// buffers[i] is never read and may be null. A module with parallel loops
// also reads buffers[module.buffers.size()], a codegen::RuntimeABI* (its
// thread pool: codegen/RuntimeABI.h); Executable provides it. Each kernel becomes an LLVM
// function named after it, taking only the buffers it touches as noalias
// pointers, so that the optimizer may keep accumulators in registers. A
// module with a training loop (ir/LoopIR.h) also has
// `sigma_loop(buffers, begin, end)`, the same table, which runs steps
// [begin, end) in one call; its extern buffers' slots point to the
// caller's storage, which must not overlap any other buffer, and every
// other buffer must lie in one arena as Executable lays it out
// (loop::arenaLayout): a tiny step's loop addresses them from one base
// (codegen/EntryEmitter.h).
//
// Results are bit-for-bit those of sigma::interpret (runtime/Interpreter.h):
// no fast-math, no fma contraction, f32 -> int casts saturate, and tanh /
// exp / log are the operation sequences of ir/FastTanh.h and
// ir/FastExpLog.h (codegen/TranscendentalEmitter.cpp). The exceptions are the
// bits of some NaNs, which LLVM leaves unspecified: which NaN an operation
// with two NaN operands returns, and the NaN a constant expression folds to.
// The compiled code does no bounds checks, and an i32/i64 division by zero
// (or MIN / -1) traps, where the interpreter throws sigma::Error: check new
// lowerings with the interpreter first.
//
// Compiling caches: the object the backend makes is stored on disk
// (codegen/CompileCache.h) under a key of everything it depends on, and a
// later compile of the same module, for the same CPU and level, links the
// stored object instead of running LLVM's optimizer and backend again.
//
// Thread safety: every JitModule owns its LLVMContext and its LLJIT, so
// different JitModules may be compiled, run and destroyed on different
// threads at once. One JitModule's accessors are const and safe to call
// concurrently; entry() may run on any thread (several at once only on
// disjoint buffers). The entry point is valid until the JitModule dies.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "codegen/CompileCache.h"
#include "ir/LoopIR.h"
#include "ir/VectorIsa.h"

namespace sigma::codegen {

using StepFunction = void (*)(void* const* buffers);
// The training loop of a module that has one (ir/LoopIR.h): steps [begin, end).
using LoopFunction = void (*)(void* const* buffers, int64_t begin, int64_t end);

struct CodegenOptions {
  // 0..3: LLVM's pipeline (what `opt -O<n>` runs) and the backend's level.
  // O0 translates as is (fastest to compile, slowest code); O1 adds the
  // scalar clean-ups, inlining, unrolling and interleaving; O2 adds the
  // loop and SLP vectorizers (AVX2 / AVX-512 code); O3 adds the aggressive
  // passes on top of O2. Every level computes the same bits.
  int optLevel = 3;
  CacheOptions cache{};
  // Link the cached object or nothing: compile() returns nullptr instead of
  // compiling when the cache has no (valid) entry. Tiered compilation asks
  // this first (runtime/Executable.h).
  bool onlyFromCache = false;
  // Append the linked functions to /tmp/perf-<pid>.map, for `perf report`
  // (codegen/PerfMap.h); also on when the environment has SIGMA_PERF_MAP=1.
  bool perfMap = false;
  // The vector ISA: the host's, or AVX2 at most (ir/VectorIsa.h); also
  // capped at AVX2 when the environment has SIGMA_TARGET=avx2.
  VectorIsa isa = VectorIsa::Host;
};

// Where a compile's time went, in milliseconds, in the order the stages
// run; 0 for what did not run (a cache hit runs only the lookup and link).
struct CodegenTimings {
  double cacheLookup = 0;  // printing the loop IR, hashing the key, reading and checking the entry
  double emitIR = 0;       // loop IR -> LLVM IR (verified)
  double optimize = 0;     // LLVM's O<n> pipeline
  double printIR = 0;      // the optimized IR as text (for llvmIR() and the entry)
  double machineCode = 0;  // the backend: optimized IR -> object file
  double cacheStore = 0;   // writing the entry
  double link = 0;         // the JIT: creating it, linking the object, finding sigma_step
};

// What the compile did with the cache.
struct CacheReport {
  CacheStatus status = CacheStatus::Disabled;
  bool stored = false;  // a new entry was written
  std::string key;      // empty when disabled
  std::string path;     // the entry's file
  std::string problem;  // why a damaged entry was rejected
};

class JitModule {
 public:
  // Generates, optimizes for the host CPU (its detected features) and JITs,
  // or links the cached object of an earlier identical compile (nullptr
  // on a miss under CodegenOptions::onlyFromCache). Throws
  // sigma::Error for malformed loop IR, an optLevel outside 0..3, or any
  // failure inside LLVM (with LLVM's message); never for the cache.
  static std::unique_ptr<JitModule> compile(const loop::Module& module, const CodegenOptions& options = {});
  ~JitModule();
  JitModule(const JitModule&) = delete;
  JitModule& operator=(const JitModule&) = delete;

  StepFunction entry() const;
  LoopFunction loopEntry() const;  // nullptr unless the module has a training loop
  const std::string& llvmIR() const;             // the optimized LLVM IR, as text
  const std::string& unoptimizedLLVMIR() const;  // straight out of IRBuilder (made on first call)
  const std::string& assembly() const;           // host assembly of the optimized IR (made on first call)
  const std::string& targetDescription() const;  // "x86_64 znver3 +avx2,+fma,..."
  int optLevel() const;
  const CodegenTimings& timings() const;
  const CacheReport& cache() const;

 private:
  JitModule();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sigma::codegen

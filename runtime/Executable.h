// A loop-IR module made runnable: every buffer in one 64-byte-aligned arena
// (allocated and zeroed once, so steps never allocate), constants filled
// in, and an entry point that is either JIT-compiled native code or the
// reference interpreter.
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "codegen/CompileCache.h"
#include "codegen/JitModule.h"
#include "codegen/RuntimeABI.h"
#include "ir/LoopIR.h"

namespace sigma::codegen {
class JitModule;
}

namespace sigma {

class ThreadPool;

enum class Backend { JIT, Interpreter };

struct ExecutableOptions {
  Backend backend = Backend::JIT;
  int optLevel = 3;                // the JIT's: codegen::CodegenOptions::optLevel
  codegen::CacheOptions cache{};  // the JIT's object cache (codegen/CompileCache.h)
  // Threads for the module's parallel loops (passes/ParallelizeLoops.h):
  // the caller's and threads - 1 workers of the executable's own pool. The
  // results are the same bits for every count.
  int threads = 1;
  // Tiered compilation (JIT, optLevel > 0): when the object cache has no
  // entry for the module, start on O0 code, which compiles in tens of
  // milliseconds, and compile optLevel on a background thread; run()
  // switches to it once it is ready. Every level computes the same bits, so
  // results do not depend on when the switch happens.
  bool tiered = false;
  // The JIT's vector ISA (codegen::CodegenOptions::isa); lower for the same
  // one (LoweringTarget::host(isa)) for the register blocks that fit it.
  VectorIsa isa = VectorIsa::Host;
};

// Unmaps an executable's arena.
struct ArenaDeleter {
  size_t bytes = 0;
  void operator()(std::byte* p) const;
};

class Executable {
 public:
  Executable(loop::Module module, const ExecutableOptions& options = {});
  ~Executable();
  Executable(const Executable&) = delete;
  Executable& operator=(const Executable&) = delete;

  void run();  // one call of the entry point: every step kernel once, in order

  // The compiled training loop (ir/LoopIR.h; a module without one throws):
  // steps [begin, end) in one call of its entry point, or of the
  // interpreter's loop. Every extern buffer must be bound first. The JIT
  // does no bounds checks: the caller makes sure that each step's indices
  // stay inside what it bound (TrainingStep::runLoop does).
  void runLoop(int64_t begin, int64_t end);
  bool hasTrainingLoop() const { return module_.hasTrainingLoop(); }
  // Points extern buffer `name` at the caller's storage, `elements` long;
  // it must stay alive and unmoved, and overlap no other buffer, while
  // runLoop uses it. Throws naming the buffer if it is absent, not extern,
  // or of another element type.
  void bind(const std::string& name, std::span<const float> data) { bindExtern(name, data.data(), data.size(), loop::ScalarType::F32); }
  void bind(const std::string& name, std::span<float> data) { bindExtern(name, data.data(), data.size(), loop::ScalarType::F32); }
  void bind(const std::string& name, std::span<const int32_t> data) { bindExtern(name, data.data(), data.size(), loop::ScalarType::I32); }

  const loop::Module& module() const { return module_; }
  Backend backend() const { return backend_; }
  // The storage of a buffer by name; throws sigma::Error naming it if absent.
  std::span<float> f32(const std::string& name);
  std::span<const float> f32(const std::string& name) const;
  std::span<int32_t> i32(const std::string& name);
  int64_t arenaBytes() const { return arenaBytes_; }
  int threads() const;
  // The JIT-compiled module at the requested level (nullptr on the
  // interpreter); while a tiered compile is still optimizing, waits for it,
  // and rethrows its error if it failed.
  const codegen::JitModule* jit() const;
  // What run() runs now, without waiting: the O0 tier until the switch.
  const codegen::JitModule* currentJit() const;
  bool optimizing() const;  // a tiered compile is still running in the background

 private:
  void startTiers(const ExecutableOptions& options);
  void publish(const codegen::JitModule& jit);  // its entry points become what run() and runLoop() call
  void bindExtern(const std::string& name, const void* data, size_t elements, loop::ScalarType type);
  void waitForOptimized() const;

  const loop::Buffer& buffer(const std::string& name, loop::ScalarType type) const;

  loop::Module module_;
  Backend backend_;
  // Anonymous pages (mmap): zero already, and faulted in when first used,
  // so that creating an executable costs no pass over its arena.
  std::unique_ptr<std::byte[], ArenaDeleter> arena_;
  int64_t arenaBytes_ = 0;
  std::vector<void*> pointers_;  // pointers_[i]: storage of module_.buffers[i]; then &runtime_
  std::vector<int64_t> externSizes_;  // elements bound to each extern buffer (0 for the others)
  std::unique_ptr<ThreadPool> pool_;
  codegen::RuntimeABI runtime_{};
  std::unique_ptr<codegen::JitModule> jit_;  // the requested level (written by the tier thread)
  std::unique_ptr<codegen::JitModule> tier0_;  // O0 code of a tiered compile, kept: run() may be inside it
  std::atomic<codegen::StepFunction> entry_{nullptr};
  std::atomic<codegen::LoopFunction> loopEntry_{nullptr};
  mutable std::mutex waiting_;              // jit() may be called from several threads
  mutable std::thread optimizer_;           // the background compile of a tiered executable
  mutable std::exception_ptr optimizeError_;
  std::atomic<bool> optimized_{true};
};

}  // namespace sigma

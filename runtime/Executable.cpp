#include "runtime/Executable.h"

#include "runtime/ThreadPool.h"

#include <sys/mman.h>

#include <cstdint>
#include <cstring>

#include "codegen/JitModule.h"
#include "ir/ArenaLayout.h"
#include "ir/Error.h"
#include "runtime/HugePages.h"
#include "runtime/Interpreter.h"

namespace sigma {

namespace {


// The arena's pages: anonymous (zero, faulted in on first use). An arena of
// a huge page or more is placed on a huge-page boundary and advised into
// transparent huge pages, which Debian's kernels grant on request
// (`madvise` mode): W2's step streams ~8 MB of weights, moments and
// gradients through it every step, and 4 KiB pages cost it TLB misses
// (~3% of the step, measured), and a fault per 4 KiB when first touched.
// Where the kernel refuses, the advice is a no-op and the pages stay small.
std::byte* mapArena(size_t bytes) {
  if (bytes < kHugePageBytes) {
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? nullptr : static_cast<std::byte*>(p);
  }
  // Over-map by a huge page, then unmap the slack on either side of the
  // aligned range, so that the arena is exactly [start, start + bytes).
  void* p = mmap(nullptr, bytes + kHugePageBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return nullptr;
  const uintptr_t base = reinterpret_cast<uintptr_t>(p), start = (base + kHugePageBytes - 1) & ~(kHugePageBytes - 1);
  if (start > base) munmap(p, start - base);
  if (const size_t tail = base + bytes + kHugePageBytes - (start + bytes); tail > 0)
    munmap(reinterpret_cast<void*>(start + bytes), tail);
  adviseHugePages(reinterpret_cast<void*>(start), bytes);
  return reinterpret_cast<std::byte*>(start);
}

}  // namespace

Executable::Executable(loop::Module module, const ExecutableOptions& options)
    : module_(std::move(module)), backend_(options.backend) {
  // Buffers with storage of their own come first; temporaries placed by
  // memory planning (passes/PlanMemory.h) share the region after them.
  const loop::ArenaLayout layout = loop::arenaLayout(module_);
  const std::vector<int64_t>& offsets = layout.offsets;
  arenaBytes_ = layout.bytes;
  const size_t bytes = size_t(std::max<int64_t>(arenaBytes_, 64));
  std::byte* pages = mapArena(bytes);
  if (!pages) fail("executable @{}: cannot allocate a {}-byte arena", module_.name, arenaBytes_);
  arena_ = std::unique_ptr<std::byte[], ArenaDeleter>(pages, ArenaDeleter{bytes});
  externSizes_.assign(module_.buffers.size(), 0);
  for (size_t i = 0; i < module_.buffers.size(); ++i) {
    const auto& b = module_.buffers[i];
    pointers_.push_back(b.kind == loop::BufferKind::Extern ? nullptr : arena_.get() + offsets[i]);
    if (b.kind != loop::BufferKind::Constant) continue;
    // Constant values are kept as floats in the IR; store them in the
    // buffer's own element type.
    for (size_t j = 0; j < b.init.size(); ++j) {
      void* p = pointers_.back();
      switch (b.type) {
        case loop::ScalarType::F32: static_cast<float*>(p)[j] = b.init[j]; break;
        case loop::ScalarType::I32: static_cast<int32_t*>(p)[j] = int32_t(b.init[j]); break;
        case loop::ScalarType::I64: static_cast<int64_t*>(p)[j] = int64_t(b.init[j]); break;
        case loop::ScalarType::Bool: static_cast<bool*>(p)[j] = b.init[j] != 0; break;
      }
    }
  }
  // The thread pool, one slot past the buffers (codegen/RuntimeABI.h).
  pool_ = std::make_unique<ThreadPool>(options.threads);
  runtime_ = {&ThreadPool::parallelFor, pool_.get()};
  pointers_.push_back(&runtime_);
  if (backend_ != Backend::JIT) return;
  if (options.tiered && options.optLevel > 0) {
    // Last: once the tier thread runs, nothing here may throw (a joinable
    // thread would terminate the process, and it holds `this`).
    startTiers(options);
  } else {
    jit_ = codegen::JitModule::compile(module_, {.optLevel = options.optLevel, .cache = options.cache, .isa = options.isa});
    publish(*jit_);
  }
}

void Executable::publish(const codegen::JitModule& jit) {
  loopEntry_.store(jit.loopEntry(), std::memory_order_release);
  entry_.store(jit.entry(), std::memory_order_release);
}

// Tiered compilation: the cached object at the requested level if there is
// one; else O0 now (not cached: it is only a stand-in) and the requested
// level on a thread of its own, which publishes its entry when linked.
void Executable::startTiers(const ExecutableOptions& options) {
  const codegen::CodegenOptions optimized{.optLevel = options.optLevel, .cache = options.cache, .isa = options.isa};
  codegen::CodegenOptions probe = optimized;
  probe.onlyFromCache = true;
  if ((jit_ = codegen::JitModule::compile(module_, probe))) {
    publish(*jit_);
    return;
  }
  tier0_ = codegen::JitModule::compile(module_, {.optLevel = 0, .cache = {.enabled = false}, .isa = options.isa});
  publish(*tier0_);
  optimized_ = false;
  optimizer_ = std::thread([this, optimized] {
    try {
      std::unique_ptr<codegen::JitModule> jit = codegen::JitModule::compile(module_, optimized);
      const codegen::JitModule& compiled = *jit;
      jit_ = std::move(jit);  // only once it is complete: currentJit() and run() then agree
      publish(compiled);
    } catch (...) {
      optimizeError_ = std::current_exception();  // run() stays on O0; jit() reports it
    }
    optimized_.store(true, std::memory_order_release);
  });
}

void ArenaDeleter::operator()(std::byte* p) const {
  if (p) munmap(p, bytes);
}

Executable::~Executable() {
  if (optimizer_.joinable()) optimizer_.join();  // LLVM cannot be interrupted; at most one compile's time
}

int Executable::threads() const { return pool_->threads(); }

void Executable::run() {
  if (codegen::StepFunction entry = entry_.load(std::memory_order_acquire)) entry(pointers_.data());
  else interpret(module_, pointers_.data());
}

void Executable::runLoop(int64_t begin, int64_t end) {
  if (!module_.hasTrainingLoop()) fail("executable @{}: the module has no training loop to run", module_.name);
  if (begin < 0 || end < begin) fail("executable @{}: the loop's steps [{}, {}) are not a range", module_.name, begin, end);
  for (size_t i = 0; i < module_.buffers.size(); ++i)
    if (module_.buffers[i].kind == loop::BufferKind::Extern && !pointers_[i])
      fail("executable @{}: extern buffer '{}' is not bound", module_.name, module_.buffers[i].name);
  if (codegen::LoopFunction loop = loopEntry_.load(std::memory_order_acquire)) loop(pointers_.data(), begin, end);
  else interpretLoop(module_, pointers_.data(), externSizes_, begin, end);
}

void Executable::bindExtern(const std::string& name, const void* data, size_t elements, loop::ScalarType type) {
  const loop::Buffer& b = buffer(name, type);
  if (b.kind != loop::BufferKind::Extern)
    fail("executable @{}: buffer '{}' is {}, not extern: its storage is the executable's", module_.name, name,
         loop::bufferKindName(b.kind));
  const int i = module_.bufferIndex(name);
  pointers_[size_t(i)] = const_cast<void*>(data);  // the loop writes only the extern buffers its IR stores to
  externSizes_[size_t(i)] = int64_t(elements);
}

void Executable::waitForOptimized() const {
  std::lock_guard<std::mutex> lock(waiting_);
  if (optimizer_.joinable()) optimizer_.join();
  if (optimizeError_) std::rethrow_exception(optimizeError_);
}

const codegen::JitModule* Executable::jit() const {
  waitForOptimized();
  return jit_.get();
}

const codegen::JitModule* Executable::currentJit() const {
  return optimized_.load(std::memory_order_acquire) && jit_ ? jit_.get() : tier0_.get();
}

bool Executable::optimizing() const { return !optimized_.load(std::memory_order_acquire); }

const loop::Buffer& Executable::buffer(const std::string& name, loop::ScalarType type) const {
  const loop::Buffer* b = module_.findBuffer(name);
  if (!b) fail("executable @{}: no buffer named '{}'", module_.name, name);
  if (b->type != type)
    fail("executable @{}: buffer '{}' holds {}, not {}", module_.name, name, loop::scalarTypeName(b->type),
         loop::scalarTypeName(type));
  return *b;
}

std::span<float> Executable::f32(const std::string& name) {
  const loop::Buffer& b = buffer(name, loop::ScalarType::F32);
  return {static_cast<float*>(pointers_[module_.bufferIndex(name)]), size_t(b.size)};
}

std::span<const float> Executable::f32(const std::string& name) const {
  const loop::Buffer& b = buffer(name, loop::ScalarType::F32);
  return {static_cast<const float*>(pointers_[module_.bufferIndex(name)]), size_t(b.size)};
}

std::span<int32_t> Executable::i32(const std::string& name) {
  const loop::Buffer& b = buffer(name, loop::ScalarType::I32);
  return {static_cast<int32_t*>(pointers_[module_.bufferIndex(name)]), size_t(b.size)};
}

}  // namespace sigma

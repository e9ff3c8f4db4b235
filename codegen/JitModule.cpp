#include "codegen/JitModule.h"

#include <chrono>
#include <mutex>
#include <optional>
#include <utility>

#include <llvm/AsmParser/Parser.h>
#include <llvm/Config/llvm-config.h>
#include <llvm/ExecutionEngine/Orc/ExecutionUtils.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/SourceMgr.h>
#include <llvm/Support/raw_ostream.h>

#include "codegen/LLVMEmitter.h"
#include "codegen/LLVMErrors.h"
#include "codegen/Optimizer.h"
#include "codegen/PerfMap.h"
#include "codegen/Target.h"
#include "codegen/Version.h"
#include "ir/Error.h"
#include "ir/LoopPrinter.h"

namespace sigma::codegen {

struct JitModule::Impl {
  std::optional<llvm::orc::JITTargetMachineBuilder> target;  // for assembly()'s TargetMachine
  // Owns the linked code. It never sees LLVM IR (objects only), so it holds
  // no LLVMContext: nothing LLVM-side is shared between modules.
  std::unique_ptr<llvm::orc::LLJIT> jit;
  StepFunction entry = nullptr;
  LoopFunction loopEntry = nullptr;  // modules with a training loop
  std::string moduleName;
  int optLevel = 3;
  loop::Module module;  // what unoptimizedLLVMIR() emits again (a copy is cheap: IR nodes are shared)
  std::string optimizedIR;
  std::string description;
  CodegenTimings timings;
  CacheReport cache;
  // assembly() runs the backend a second time and unoptimizedLLVMIR() the
  // emitter, which most callers never need: each is made on first use,
  // once even if threads race for it.
  mutable std::once_flag assemblyOnce, unoptimizedOnce;
  mutable std::string assembly, unoptimizedIR;
};

namespace {

std::string printLLVMModule(const llvm::Module& module) {
  std::string text;
  llvm::raw_string_ostream out(text);
  module.print(out, nullptr);
  out.flush();
  return text;
}

// Milliseconds since the previous lap (or since construction).
struct Stopwatch {
  std::chrono::steady_clock::time_point last = std::chrono::steady_clock::now();
  double lap() {
    auto now = std::chrono::steady_clock::now();
    return std::chrono::duration<double, std::milli>(now - std::exchange(last, now)).count();
  }
};

// Everything the object depends on: the module, the code generator that
// turns it into LLVM IR and machine code (its version and the fingerprint of
// its sources), LLVM, the host and the level. Keying on the loop IR rather
// than on the LLVM IR lets a hit skip generating LLVM IR too.
std::string cacheKeyFor(const std::string& loopText, const llvm::orc::JITTargetMachineBuilder& target, int optLevel) {
  return cacheKey({"sigma object cache", sigmaVersion(), codegenFingerprint(), LLVM_VERSION_STRING,
                   target.getTargetTriple().str(), target.getCPU(), target.getFeatures().getString(),
                   std::to_string(optLevel), loopText});
}

}  // namespace

JitModule::JitModule() : impl_(std::make_unique<Impl>()) {}
JitModule::~JitModule() = default;

std::unique_ptr<JitModule> JitModule::compile(const loop::Module& module, const CodegenOptions& options) {
  if (options.optLevel < 0 || options.optLevel > 3)
    fail("codegen: optimization level {} is not in 0..3 (module '{}')", options.optLevel, module.name);
  std::unique_ptr<JitModule> result(new JitModule());
  Impl& impl = *result->impl_;
  CodegenTimings& time = impl.timings;
  impl.moduleName = module.name;
  impl.optLevel = options.optLevel;
  impl.target = detectHostTarget(options.optLevel, options.isa);
  impl.description = describeTarget(*impl.target);
  impl.module = module;

  Stopwatch clock;
  CompileCache cache(options.cache);
  std::string object;
  if (cache.enabled()) {
    impl.cache.key = cacheKeyFor(printModule(module), *impl.target, options.optLevel);
    impl.cache.path = cache.entryPath(impl.cache.key);
    CompileCache::Lookup found = cache.load(impl.cache.key);
    impl.cache.status = found.status;
    impl.cache.problem = found.problem;
    if (found.entry) {
      object = std::move(found.entry->object);
      impl.optimizedIR = std::move(found.entry->optimizedIR);
    }
    time.cacheLookup = clock.lap();
  }
  if (impl.cache.status != CacheStatus::Hit && options.onlyFromCache) return nullptr;
  if (impl.cache.status != CacheStatus::Hit) {
    std::unique_ptr<llvm::TargetMachine> machine = createTargetMachine(*impl.target);
    // Declared before the module: a module must die before its context.
    llvm::LLVMContext context;
    std::unique_ptr<llvm::Module> llvmModule = emitLLVMModule(module, context, *machine);
    time.emitIR = clock.lap();
    optimizeModule(*llvmModule, *machine, options.optLevel);
    time.optimize = clock.lap();
    impl.optimizedIR = printLLVMModule(*llvmModule);
    time.printIR = clock.lap();
    // The backend, run here rather than inside the JIT, so that its output
    // can be stored; hits and misses then link the same kind of bytes.
    object = emitObject(*llvmModule, *machine);
    time.machineCode = clock.lap();
    if (cache.enabled()) {
      impl.cache.stored = cache.store(impl.cache.key, {object, impl.optimizedIR});
      time.cacheStore = clock.lap();
    }
  }

  // The JIT is built from the same target builder as `machine` (same CPU,
  // features, relocation model and level), for the code it might compile
  // itself; it is only asked to link.
  impl.jit = unwrap(llvm::orc::LLJITBuilder().setJITTargetMachineBuilder(*impl.target).create(),
                    "cannot create the JIT for module '" + module.name + "'");
  if (options.perfMap || perfMapRequestedByEnvironment()) writePerfMapOnLink(*impl.jit, module.name);
  // The kernels call no library function themselves, but LLVM may emit
  // calls (memset, memcpy for zeroing and copy loops): resolve anything
  // external from the symbols of this process.
  char prefix = impl.jit->getDataLayout().getGlobalPrefix();
  impl.jit->getMainJITDylib().addGenerator(
      unwrap(llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(prefix),
             "cannot search this process for symbols"));
  check(impl.jit->addObjectFile(llvm::MemoryBuffer::getMemBufferCopy(object, module.name)),
        "cannot add the object of module '" + module.name + "' to the JIT");
  // The lookup links; it fails if a symbol is missing.
  llvm::orc::ExecutorAddr address =
      unwrap(impl.jit->lookup(kEntryName), "cannot link module '" + module.name + "'");
  impl.entry = address.toPtr<StepFunction>();
  if (module.hasTrainingLoop())
    impl.loopEntry = unwrap(impl.jit->lookup(kLoopEntryName), "cannot link module '" + module.name + "'")
                         .toPtr<LoopFunction>();
  time.link = clock.lap();
  return result;
}

StepFunction JitModule::entry() const { return impl_->entry; }
LoopFunction JitModule::loopEntry() const { return impl_->loopEntry; }
const std::string& JitModule::llvmIR() const { return impl_->optimizedIR; }
const std::string& JitModule::targetDescription() const { return impl_->description; }
int JitModule::optLevel() const { return impl_->optLevel; }
const CodegenTimings& JitModule::timings() const { return impl_->timings; }
const CacheReport& JitModule::cache() const { return impl_->cache; }

const std::string& JitModule::unoptimizedLLVMIR() const {
  std::call_once(impl_->unoptimizedOnce, [this] {
    // The compile may not have generated LLVM IR at all (a cache hit), and
    // printing it when nobody asks costs milliseconds: generate it again.
    std::unique_ptr<llvm::TargetMachine> machine = createTargetMachine(*impl_->target);
    llvm::LLVMContext context;
    impl_->unoptimizedIR = printLLVMModule(*emitLLVMModule(impl_->module, context, *machine));
  });
  return impl_->unoptimizedIR;
}

const std::string& JitModule::assembly() const {
  std::call_once(impl_->assemblyOnce, [this] {
    // The optimized module is gone (consumed by the backend, or never built
    // on a cache hit), so re-read its printed IR, which is exact, into a
    // context of our own.
    llvm::LLVMContext context;
    llvm::SMDiagnostic diagnostic;
    std::unique_ptr<llvm::Module> module = llvm::parseAssemblyString(impl_->optimizedIR, diagnostic, context);
    if (!module) {
      std::string message;
      llvm::raw_string_ostream out(message);
      diagnostic.print(impl_->moduleName.c_str(), out);
      fail("codegen: cannot re-read the optimized IR of module '{}': {}", impl_->moduleName, message);
    }
    std::unique_ptr<llvm::TargetMachine> machine = createTargetMachine(*impl_->target);
    impl_->assembly = emitAssembly(*module, *machine);
  });
  return impl_->assembly;
}

}  // namespace sigma::codegen

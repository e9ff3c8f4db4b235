#include "codegen/JitModule.h"

#include <mutex>
#include <optional>

#include <llvm/AsmParser/Parser.h>
#include <llvm/ExecutionEngine/Orc/ExecutionUtils.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/ExecutionEngine/Orc/ThreadSafeModule.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/Support/SourceMgr.h>
#include <llvm/Support/raw_ostream.h>

#include "codegen/LLVMEmitter.h"
#include "codegen/LLVMErrors.h"
#include "codegen/Optimizer.h"
#include "codegen/Target.h"
#include "ir/Error.h"

namespace sigma::codegen {

struct JitModule::Impl {
  std::optional<llvm::orc::JITTargetMachineBuilder> target;  // for assembly()'s TargetMachine
  // Owns the compiled code and, through the ThreadSafeContext it was given,
  // this module's LLVMContext: nothing LLVM-side is shared between modules.
  std::unique_ptr<llvm::orc::LLJIT> jit;
  StepFunction entry = nullptr;
  std::string moduleName;
  std::string unoptimizedIR;
  std::string optimizedIR;
  std::string description;
  // assembly() runs the backend a second time, which most callers never
  // need; it is made on first use, once even if threads race for it.
  mutable std::once_flag assemblyOnce;
  mutable std::string assembly;
};

namespace {

std::string printModule(const llvm::Module& module) {
  std::string text;
  llvm::raw_string_ostream out(text);
  module.print(out, nullptr);
  out.flush();
  return text;
}

}  // namespace

JitModule::JitModule() : impl_(std::make_unique<Impl>()) {}
JitModule::~JitModule() = default;

std::unique_ptr<JitModule> JitModule::compile(const loop::Module& module, const CodegenOptions& options) {
  if (options.optLevel < 0 || options.optLevel > 3)
    fail("codegen: optimization level {} is not in 0..3 (module '{}')", options.optLevel, module.name);
  std::unique_ptr<JitModule> result(new JitModule());
  Impl& impl = *result->impl_;
  impl.moduleName = module.name;
  impl.target = detectHostTarget(options.optLevel);
  impl.description = describeTarget(*impl.target);
  std::unique_ptr<llvm::TargetMachine> machine = createTargetMachine(*impl.target);

  // Declared before the module: a module must die before its context.
  auto context = std::make_unique<llvm::LLVMContext>();
  std::unique_ptr<llvm::Module> llvmModule = emitLLVMModule(module, *context, *machine);
  impl.unoptimizedIR = printModule(*llvmModule);
  optimizeModule(*llvmModule, *machine, options.optLevel);
  impl.optimizedIR = printModule(*llvmModule);

  // The JIT's backend is built from the same target builder as `machine`:
  // same CPU, features, relocation model and codegen level.
  impl.jit = unwrap(llvm::orc::LLJITBuilder().setJITTargetMachineBuilder(*impl.target).create(),
                    "cannot create the JIT for module '" + module.name + "'");
  // Kernels call tanhf/expf/logf: resolve them (and anything else external)
  // from the symbols of this process, i.e. the libm the interpreter uses.
  char prefix = impl.jit->getDataLayout().getGlobalPrefix();
  impl.jit->getMainJITDylib().addGenerator(
      unwrap(llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(prefix),
             "cannot search this process for symbols"));
  check(impl.jit->addIRModule(llvm::orc::ThreadSafeModule(std::move(llvmModule), std::move(context))),
        "cannot add module '" + module.name + "' to the JIT");
  // The lookup runs the backend and links; it fails if a symbol is missing.
  llvm::orc::ExecutorAddr address =
      unwrap(impl.jit->lookup(kEntryName), "cannot compile module '" + module.name + "' to native code");
  impl.entry = address.toPtr<StepFunction>();
  return result;
}

StepFunction JitModule::entry() const { return impl_->entry; }
const std::string& JitModule::llvmIR() const { return impl_->optimizedIR; }
const std::string& JitModule::unoptimizedLLVMIR() const { return impl_->unoptimizedIR; }
const std::string& JitModule::targetDescription() const { return impl_->description; }

const std::string& JitModule::assembly() const {
  std::call_once(impl_->assemblyOnce, [this] {
    // The optimized module itself now belongs to the JIT (and was consumed
    // by its backend), so re-read its printed IR, which is exact, into a
    // context of our own: no locking against the JIT's context needed.
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

#include "codegen/Target.h"

#include <algorithm>
#include <mutex>
#include <vector>

#include <llvm/ADT/SmallString.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/IR/Module.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>

#include "codegen/LLVMErrors.h"
#include "ir/Error.h"

namespace sigma::codegen {

void initializeNativeTarget() {
  // LLVM's target registry is global and its Initialize* functions are not
  // safe to race; call_once makes concurrent first compiles safe.
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    llvm::InitializeNativeTargetAsmParser();
  });
}

namespace {

// The host's features without AVX-512: every feature of that family (and
// the EVEX encodings of AVX10) turned off, so that the backend, the cost
// models and the emitter's vector width (codegen/KernelEmitter.cpp) all see
// an AVX2 machine. The CPU name stays the host's, for its scheduling model.
void capAtAvx2(llvm::orc::JITTargetMachineBuilder& builder) {
  llvm::SubtargetFeatures capped;
  bool avx2 = false, fma = false;
  for (const std::string& feature : builder.getFeatures().getFeatures()) {
    if (feature.empty()) continue;
    llvm::StringRef name = llvm::StringRef(feature).drop_front(feature[0] == '+' || feature[0] == '-');
    const bool on = feature[0] != '-';
    avx2 |= on && name == "avx2";
    fma |= on && name == "fma";
    const bool evex = name.starts_with("avx512") || name == "evex512" || name.starts_with("avx10");
    capped.AddFeature(name, on && !evex);
  }
  if (!avx2 || !fma) fail("codegen: AVX2 code was asked for (SIGMA_TARGET=avx2), but this CPU has no AVX2 and FMA");
  builder.getFeatures() = capped;
}

}  // namespace

llvm::orc::JITTargetMachineBuilder detectHostTarget(int optLevel, VectorIsa isa) {
  initializeNativeTarget();
  // detectHost() fills in the triple, sys::getHostCPUName() and every
  // feature of sys::getHostCPUFeatures(), so the backend may use whatever
  // vector extensions this CPU has.
  auto builder = unwrap(llvm::orc::JITTargetMachineBuilder::detectHost(), "cannot detect the host target");
  if (effectiveVectorIsa(isa) == VectorIsa::Avx2) capAtAvx2(builder);
  static const llvm::CodeGenOptLevel levels[] = {llvm::CodeGenOptLevel::None, llvm::CodeGenOptLevel::Less,
                                                 llvm::CodeGenOptLevel::Default, llvm::CodeGenOptLevel::Aggressive};
  builder.setCodeGenOptLevel(levels[std::clamp(optLevel, 0, 3)]);
  // LLJIT would switch an x86-64 ELF builder to these itself (JITLink wants
  // PIC, small code model); setting them here makes the optimizer's and
  // assembly()'s TargetMachine match the code the JIT really runs.
  builder.setRelocationModel(llvm::Reloc::PIC_);
  builder.setCodeModel(llvm::CodeModel::Small);
  // Never fuse a separate fmul and fadd into an fma: results must match the
  // interpreter bit for bit (the loop IR's semantics have no contraction).
  builder.getOptions().AllowFPOpFusion = llvm::FPOpFusion::Strict;
  return builder;
}

std::unique_ptr<llvm::TargetMachine> createTargetMachine(const llvm::orc::JITTargetMachineBuilder& builder) {
  // createTargetMachine() is non-const only for historical reasons; a copy
  // keeps the caller's builder untouched.
  llvm::orc::JITTargetMachineBuilder copy = builder;
  return unwrap(copy.createTargetMachine(), "cannot create a TargetMachine for the host");
}

std::string describeTarget(const llvm::orc::JITTargetMachineBuilder& builder) {
  std::vector<std::string> enabled;
  for (const std::string& feature : builder.getFeatures().getFeatures())
    if (!feature.empty() && feature[0] == '+') enabled.push_back(feature);
  std::sort(enabled.begin(), enabled.end());
  std::string text = builder.getTargetTriple().getArchName().str() + " " + builder.getCPU() + " ";
  for (size_t i = 0; i < enabled.size(); ++i) text += (i ? "," : "") + enabled[i];
  return text;
}

namespace {
std::string emitFile(llvm::Module& module, llvm::TargetMachine& machine, llvm::CodeGenFileType type) {
  module.setTargetTriple(machine.getTargetTriple().str());
  module.setDataLayout(machine.createDataLayout());
  llvm::SmallString<0> bytes;
  llvm::raw_svector_ostream out(bytes);
  // The backend's codegen pipeline still uses the legacy pass manager.
  llvm::legacy::PassManager passes;
  if (machine.addPassesToEmitFile(passes, out, nullptr, type))
    fail("codegen: the host's LLVM backend cannot emit {}",
         type == llvm::CodeGenFileType::AssemblyFile ? "assembly" : "an object file");
  passes.run(module);
  return std::string(bytes.str());
}
}  // namespace

std::string emitAssembly(llvm::Module& module, llvm::TargetMachine& machine) {
  return emitFile(module, machine, llvm::CodeGenFileType::AssemblyFile);
}

std::string emitObject(llvm::Module& module, llvm::TargetMachine& machine) {
  return emitFile(module, machine, llvm::CodeGenFileType::ObjectFile);
}

}  // namespace sigma::codegen

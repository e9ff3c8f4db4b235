#include "codegen/LLVMEmitter.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <type_traits>
#include <unordered_set>
#include <vector>

#include <llvm/IR/Attributes.h>
#include <llvm/IR/Constants.h>
#include <llvm/IR/Function.h>
#include <llvm/IR/GlobalVariable.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>

#include "codegen/EntryEmitter.h"
#include "codegen/KernelEmitter.h"
#include "ir/Error.h"
#include "ir/IRVisitor.h"

namespace sigma::codegen {

using namespace sigma::loop;

namespace {

// Which buffers a kernel reads and writes, by index into module.buffers.
class BufferUses : public IRVisitor {
 public:
  using IRVisitor::visit;
  BufferUses(const Module& module, const Kernel& kernel) : module_(module), kernel_(kernel) {}

  std::set<int> read, written;
  std::set<int> all() const {
    std::set<int> both = read;
    both.insert(written.begin(), written.end());
    return both;
  }

 protected:
  void visit(const Load* op) override {
    read.insert(indexOf(op->buffer));
    IRVisitor::visit(op);
  }
  void visit(const Store* op) override {
    written.insert(indexOf(op->buffer));
    IRVisitor::visit(op);
  }
  void visit(const Prefetch* op) override {  // the kernel needs the buffer's address
    read.insert(indexOf(op->buffer));
    IRVisitor::visit(op);
  }

 private:
  int indexOf(const std::string& name) const {
    int i = module_.bufferIndex(name);
    if (i < 0) fail("codegen: kernel '{}' uses buffer '{}', which module '{}' does not declare", kernel_.name, name,
                    module_.name);
    return i;
  }
  const Module& module_;
  const Kernel& kernel_;
};

}  // namespace

void addTargetAttributes(llvm::Function& function, const llvm::TargetMachine& machine) {
  function.addFnAttr("target-cpu", machine.getTargetCPU());
  function.addFnAttr("target-features", machine.getTargetFeatureString());
  // Lowering blocks matmuls for 32 registers of 16 floats on AVX-512 hosts
  // (passes/LowerToLoops.h): vectorize with zmm there even on CPUs whose
  // tuning prefers 256-bit vectors (Intel's), or the blocks would spill.
  if (machine.getTargetFeatureString().contains("+avx512f")) function.addFnAttr("prefer-vector-width", "512");
  function.setDoesNotThrow();  // no C++ exceptions cross generated code
}

namespace {

void checkNames(const Module& module) {
  std::unordered_set<std::string> buffers;
  for (const Buffer& buffer : module.buffers) {
    if (!buffers.insert(buffer.name).second)
      fail("codegen: module '{}' declares buffer '{}' twice", module.name, buffer.name);
    if (buffer.size < 0) fail("codegen: buffer '{}' has a negative size {}", buffer.name, buffer.size);
  }
  // Kernel functions share the module's symbol namespace with the entry
  // point, the libm functions they call and LLVM's intrinsics; LLVM would
  // silently rename a clash, making the name in assembly() a lie.
  static const std::set<std::string> reserved = {kEntryName, kLoopEntryName, "tanhf", "expf", "logf"};
  std::unordered_set<std::string> kernels;
  for (const Kernel& kernel : module.kernels) {
    if (kernel.name.empty()) fail("codegen: module '{}' has a kernel without a name", module.name);
    if (reserved.count(kernel.name) || kernel.name.rfind("llvm.", 0) == 0)
      fail("codegen: kernel name '{}' is reserved for the generated code", kernel.name);
    if (!kernels.insert(kernel.name).second) fail("codegen: module '{}' has two kernels named '{}'", module.name, kernel.name);
  }
}

// Whether the kernel's function takes a RuntimeABI* for its parallel loops:
// the training loop's kernels run theirs in order.
bool takesRuntime(const Kernel& kernel) { return kernel.role == KernelRole::Step && kernel.hasParallelLoop(); }

// Declares `kernel`'s function: internal, one pointer parameter per buffer
// it uses (module order), annotated with what the loop IR guarantees, then
// a RuntimeABI* parameter when it has parallel loops, or the i64 %step of
// a training-loop kernel.
llvm::Function* declareKernel(llvm::Module& llvmModule, const Module& module, const Kernel& kernel,
                              const BufferUses& uses, const std::vector<int>& params) {
  llvm::LLVMContext& context = llvmModule.getContext();
  std::vector<llvm::Type*> types(params.size() + (takesRuntime(kernel) ? 1 : 0), llvm::PointerType::getUnqual(context));
  if (kernel.role != KernelRole::Step) types.push_back(llvm::Type::getInt64Ty(context));
  auto* type = llvm::FunctionType::get(llvm::Type::getVoidTy(context), types, false);
  auto* function = llvm::Function::Create(type, llvm::Function::InternalLinkage, kernel.name, llvmModule);
  function->addFnAttr(llvm::Attribute::NoInline);
  const llvm::DataLayout& layout = llvmModule.getDataLayout();
  for (size_t p = 0; p < params.size(); ++p) {
    const Buffer& buffer = module.buffers[params[p]];
    llvm::Argument* arg = function->getArg(unsigned(p));
    arg->setName(buffer.name);
    llvm::Type* element = storageType(context, buffer.type);
    llvm::AttrBuilder attrs(context);
    // Distinct buffers never overlap (the calling convention), and a kernel
    // touching one buffer twice gets it once: noalias holds.
    attrs.addAttribute(llvm::Attribute::NoAlias);
    attrs.addAttribute(llvm::Attribute::NoCapture);
    attrs.addAttribute(llvm::Attribute::NoUndef);
    attrs.addAlignmentAttr(layout.getABITypeAlign(element));
    // The whole buffer is there, so loads may be hoisted out of conditions.
    if (buffer.size > 0)
      attrs.addDereferenceableAttr(uint64_t(buffer.size) * layout.getTypeAllocSize(element).getFixedValue());
    if (!uses.written.count(params[p])) attrs.addAttribute(llvm::Attribute::ReadOnly);
    if (!uses.read.count(params[p])) attrs.addAttribute(llvm::Attribute::WriteOnly);
    arg->addAttrs(attrs);
  }
  return function;
}

// f32 -> T as fptosi.sat does it: truncate, saturate, NaN -> 0. (2^31 and
// 2^63 are exact in f32, so the bounds are checked before converting.)
template <typename T>
T saturate(float x) {
  if (std::isnan(x)) return 0;
  constexpr float limit = std::is_same_v<T, int32_t> ? 2147483648.0f : 9223372036854775808.0f;
  if (x >= limit) return std::numeric_limits<T>::max();
  if (x < -limit) return std::numeric_limits<T>::min();
  return static_cast<T>(x);
}

}  // namespace

llvm::GlobalVariable* emitConstant(llvm::Module& llvmModule, const Buffer& buffer) {
  if (int64_t(buffer.init.size()) != buffer.size)
    fail("codegen: const buffer '{}' has {} init values for {} elements", buffer.name, buffer.init.size(), buffer.size);
  llvm::LLVMContext& context = llvmModule.getContext();
  llvm::Constant* data = nullptr;
  switch (buffer.type) {
    case ScalarType::F32: data = llvm::ConstantDataArray::get(context, llvm::ArrayRef<float>(buffer.init)); break;
    case ScalarType::I32: {
      std::vector<int32_t> values;
      for (float x : buffer.init) values.push_back(saturate<int32_t>(x));
      data = llvm::ConstantDataArray::get(context, llvm::ArrayRef<int32_t>(values));
      break;
    }
    case ScalarType::I64: {
      std::vector<int64_t> values;
      for (float x : buffer.init) values.push_back(saturate<int64_t>(x));
      data = llvm::ConstantDataArray::get(context, llvm::ArrayRef<int64_t>(values));
      break;
    }
    case ScalarType::Bool: {
      std::vector<uint8_t> values;
      for (float x : buffer.init) values.push_back(x != 0.0f);
      data = llvm::ConstantDataArray::get(context, llvm::ArrayRef<uint8_t>(values));
      break;
    }
  }
  auto* global = new llvm::GlobalVariable(llvmModule, data->getType(), /*isConstant=*/true,
                                          llvm::GlobalValue::InternalLinkage, data, buffer.name + ".const");
  global->setUnnamedAddr(llvm::GlobalValue::UnnamedAddr::Global);
  global->setAlignment(llvm::Align(64));  // whole cache lines, aligned vector loads
  return global;
}

std::unique_ptr<llvm::Module> emitLLVMModule(const Module& module, llvm::LLVMContext& context,
                                             const llvm::TargetMachine& machine) {
  checkNames(module);
  auto llvmModule = std::make_unique<llvm::Module>(module.name, context);
  llvmModule->setTargetTriple(machine.getTargetTriple().str());
  llvmModule->setDataLayout(machine.createDataLayout());

  // The kernels, each with the buffers it uses.
  std::vector<KernelFunction> kernels;
  for (const Kernel& kernel : module.kernels) {
    if (!kernel.body) fail("codegen: kernel '{}' has no body", kernel.name);
    BufferUses uses(module, kernel);
    uses.visit(kernel.body);
    for (int i : uses.written)
      if (module.buffers[i].kind == BufferKind::Constant)
        fail("codegen: kernel '{}' stores into const buffer '{}'", kernel.name, module.buffers[i].name);
    std::set<int> all = uses.all();
    std::vector<int> params(all.begin(), all.end());
    llvm::Function* function = declareKernel(*llvmModule, module, kernel, uses, params);
    addTargetAttributes(*function, machine);
    BufferArgs args;
    for (size_t p = 0; p < params.size(); ++p)
      args[module.buffers[params[p]].name] = BufferArg{function->getArg(unsigned(p)), &module.buffers[params[p]]};
    const bool parallel = takesRuntime(kernel);
    llvm::Argument* extra = function->arg_size() > params.size() ? function->getArg(unsigned(params.size())) : nullptr;
    if (extra) extra->setName(parallel ? "runtime" : kLoopStepVar);
    emitKernelBody(kernel, *function, args, parallel ? extra : nullptr, parallel ? nullptr : extra);
    kernels.push_back({function, std::move(params), parallel});
  }

  emitEntryPoints(*llvmModule, module, machine, kernels);

  std::string problems;
  llvm::raw_string_ostream out(problems);
  if (llvm::verifyModule(*llvmModule, &out))
    fail("codegen: LLVM rejected the IR generated for module '{}' (a code generator bug): {}", module.name, problems);
  return llvmModule;
}

}  // namespace sigma::codegen

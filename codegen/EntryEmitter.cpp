#include "codegen/EntryEmitter.h"

#include <functional>
#include <utility>

#include <llvm/IR/Constants.h>
#include <llvm/IR/Instructions.h>
#include <llvm/IR/Function.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Module.h>

#include "codegen/KernelEmitter.h"
#include "codegen/LLVMEmitter.h"
#include "ir/ArenaLayout.h"
#include "passes/LoopAnalysis.h"

namespace sigma::codegen {

using namespace sigma::loop;

namespace {

class EntryEmitter {
 public:
  EntryEmitter(llvm::Module& llvmModule, const Module& module, const llvm::TargetMachine& machine,
               const std::vector<KernelFunction>& kernels)
      : llvm_(llvmModule), module_(module), machine_(machine), kernels_(kernels), context_(llvmModule.getContext()),
        ptr_(llvm::PointerType::getUnqual(context_)), i64_(llvm::Type::getInt64Ty(context_)),
        constants_(module.buffers.size(), nullptr) {
    for (const KernelFunction& k : kernels) {
      used_.insert(k.params.begin(), k.params.end());
      needsRuntime_ |= k.takesRuntime;
    }
    for (int i : used_)
      if (module.buffers[i].kind == BufferKind::Constant) constants_[i] = emitConstant(llvm_, module.buffers[i]);
    for (size_t k = 0; k < module.kernels.size(); ++k)
      if (module.kernels[k].role == KernelRole::LoopIn)
        for (const std::string& name : buffersWritten(module.kernels[k])) fed_.insert(module.bufferIndex(name));
  }

  void run() {
    emitStep();
    if (!module_.hasTrainingLoop()) return;
    bool tiny = !needsRuntime_;
    int64_t localBytes = 0;
    for (size_t i = 0; i < module_.buffers.size(); ++i) {
      const Buffer& b = module_.buffers[i];
      tiny &= b.size <= kInlineIntoLoopElements;
      if (localInLoop(int(i))) localBytes += b.size * elementBytes(b.type);
    }
    tiny &= localBytes <= kLoopLocalBytes;  // sigma_loop's stack frame stays small
    if (tiny)
      emitTinyLoop();
    else
      emitLoop();
  }

 private:
  bool hasKernel(KernelRole role) const {
    for (const Kernel& k : module_.kernels)
      if (k.role == role) return true;
    return false;
  }

  llvm::Function* function(const char* name, std::vector<llvm::Type*> params, bool external) {
    auto* f = llvm::Function::Create(llvm::FunctionType::get(llvm::Type::getVoidTy(context_), params, false),
                                     external ? llvm::Function::ExternalLinkage : llvm::Function::InternalLinkage,
                                     name, llvm_);
    addTargetAttributes(*f, machine_);
    return f;
  }

  // The pointer table every entry point receives: read-only, not kept.
  llvm::Argument* table(llvm::Function* entry) {
    llvm::Argument* t = entry->getArg(0);
    t->setName("buffers");
    t->addAttr(llvm::Attribute::NoCapture);
    t->addAttr(llvm::Attribute::ReadOnly);
    return t;
  }

  llvm::Value* slot(llvm::IRBuilder<>& b, llvm::Value* table, size_t i, const std::string& name) {
    return b.CreateLoad(ptr_, b.CreateConstInBoundsGEP1_64(ptr_, table, uint64_t(i)), name);
  }

  // Each pointer is loaded once, up front (before any loop): the kernels
  // write only buffers, never the pointer table.
  std::vector<llvm::Value*> loadPointers(llvm::IRBuilder<>& b, llvm::Value* table) {
    std::vector<llvm::Value*> pointers(module_.buffers.size(), nullptr);
    for (int i : used_) pointers[i] = constants_[i] ? constants_[i] : slot(b, table, size_t(i), module_.buffers[i].name);
    return pointers;
  }

  // The thread pool, one slot past the buffers (codegen/RuntimeABI.h).
  llvm::Value* loadRuntime(llvm::IRBuilder<>& b, llvm::Value* table) {
    return needsRuntime_ ? slot(b, table, module_.buffers.size(), "runtime") : nullptr;
  }

  void callKernels(llvm::IRBuilder<>& b, KernelRole role, const std::vector<llvm::Value*>& pointers,
                   llvm::Value* runtime, llvm::Value* step, bool inlined) {
    for (size_t k = 0; k < kernels_.size(); ++k) {
      if (module_.kernels[k].role != role) continue;
      std::vector<llvm::Value*> args;
      for (int i : kernels_[k].params) args.push_back(pointers[i]);
      if (kernels_[k].takesRuntime) args.push_back(runtime);
      if (role != KernelRole::Step) args.push_back(step);
      llvm::CallInst* call = b.CreateCall(kernels_[k].function, args);
      if (inlined) call->addFnAttr(llvm::Attribute::AlwaysInline);
    }
  }

  // One step; `ahead`: a step that is not the call's last, which also runs
  // the loop_ahead kernels (they may read step + 1's entries of the order).
  void callStep(llvm::IRBuilder<>& b, const std::vector<llvm::Value*>& pointers, llvm::Value* runtime,
                llvm::Value* step, bool inlined, bool ahead) {
    callKernels(b, KernelRole::LoopIn, pointers, runtime, step, inlined);
    if (ahead) callKernels(b, KernelRole::LoopAhead, pointers, runtime, step, inlined);
    callKernels(b, KernelRole::Step, pointers, runtime, nullptr, inlined);
    callKernels(b, KernelRole::LoopOut, pointers, runtime, step, inlined);
  }

  // for (step = begin; step < end; ++step) { loop_in; step; loop_out }, then
  // beforeReturn and ret. With peelLast, the last step is a copy of the body
  // after the loop. What a step writes before reading it (its temporaries,
  // outputs and feeds) is then dead at the loop's back edge, where otherwise
  // every such value of a tiny step's local arrays would be carried into the
  // next iteration for the copy-out after the last one (W1: 88 values
  // carried, most of them spilled to the stack every step). And the steps
  // in the loop, which all have a next one, run the loop_ahead kernels
  // after their loop_in ones; the last step does not (its next step's
  // order may not exist), nor does any step without peelLast.
  void emitStepLoop(llvm::IRBuilder<>& b, llvm::Function* f, const std::vector<llvm::Value*>& pointers,
                    llvm::Value* runtime, llvm::Value* begin, llvm::Value* end, bool inlined, bool peelLast = false,
                    const std::function<void(llvm::IRBuilder<>&)>& beforeReturn = {}) {
    auto* body = llvm::BasicBlock::Create(context_, "step", f);
    auto* exit = llvm::BasicBlock::Create(context_, "done", f);
    llvm::Value* loopEnd = end;
    llvm::BasicBlock* afterLoop = exit;
    if (peelLast) {
      auto* check = llvm::BasicBlock::Create(context_, "steps", f, body);
      afterLoop = llvm::BasicBlock::Create(context_, "last_step", f, exit);
      b.CreateCondBr(b.CreateICmpSLT(begin, end), check, exit);
      b.SetInsertPoint(check);
      loopEnd = b.CreateSub(end, llvm::ConstantInt::get(i64_, 1), "last", /*HasNUW=*/true, /*HasNSW=*/true);
    }
    llvm::BasicBlock* preheader = b.GetInsertBlock();
    b.CreateCondBr(b.CreateICmpSLT(begin, loopEnd), body, afterLoop);
    b.SetInsertPoint(body);
    llvm::PHINode* step = b.CreatePHI(i64_, 2, kLoopStepVar);
    step->addIncoming(begin, preheader);
    callStep(b, pointers, runtime, step, inlined, /*ahead=*/peelLast);
    llvm::Value* next = b.CreateAdd(step, llvm::ConstantInt::get(i64_, 1), "next", /*HasNUW=*/true, /*HasNSW=*/true);
    step->addIncoming(next, b.GetInsertBlock());
    b.CreateCondBr(b.CreateICmpSLT(next, loopEnd), body, afterLoop);
    if (peelLast) {
      b.SetInsertPoint(afterLoop);
      callStep(b, pointers, runtime, loopEnd, inlined, /*ahead=*/false);
      b.CreateBr(exit);
    }
    b.SetInsertPoint(exit);
    if (beforeReturn) beforeReturn(b);
    b.CreateRetVoid();
  }

  void emitStep() {
    llvm::Function* entry = function(kEntryName, {ptr_}, true);
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(context_, "entry", entry));
    llvm::Value* t = table(entry);
    std::vector<llvm::Value*> pointers = loadPointers(b, t);
    callKernels(b, KernelRole::Step, pointers, loadRuntime(b, t), nullptr, false);
    b.CreateRetVoid();
  }

  llvm::Function* loopEntry(llvm::Argument*& begin, llvm::Argument*& end) {
    llvm::Function* entry = function(kLoopEntryName, {ptr_, i64_, i64_}, true);
    begin = entry->getArg(1), end = entry->getArg(2);
    begin->setName("begin");
    end->setName("end");
    return entry;
  }

  void emitLoop() {
    llvm::Argument *begin, *end;
    llvm::Function* entry = loopEntry(begin, end);
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(context_, "entry", entry));
    llvm::Value* t = table(entry);
    std::vector<llvm::Value*> pointers = loadPointers(b, t);
    emitStepLoop(b, entry, pointers, loadRuntime(b, t), begin, end, false, /*peelLast=*/hasKernel(KernelRole::LoopAhead));
  }

  // sigma_loop finds the arena from one buffer's slot and its offset, and
  // hands it and the extern pointers to sigma_loop.steps as noalias
  // parameters: the promise alias analysis needs (see the header).
  // What sigma_loop keeps in a local array for the call (copied in from the
  // arena before the first step and back after the last, so that every
  // read sees what the interpreter's would), which the optimizer may then
  // keep in registers: the temporaries, outputs and gathered inputs, which
  // the steps rewrite, not the parameters and state, which they update.
  bool localInLoop(int i) const {
    const Buffer& buffer = module_.buffers[size_t(i)];
    if (buffer.kind == BufferKind::Temp || buffer.kind == BufferKind::Output) return true;
    return buffer.kind == BufferKind::Input && fed_.count(i);
  }

  void emitTinyLoop() {
    const ArenaLayout layout = arenaLayout(module_);
    std::vector<int> externs;
    int anchor = -1;  // a buffer in the arena, to find the arena's start from
    for (int i : used_) {
      if (module_.buffers[i].kind == BufferKind::Extern) externs.push_back(i);
      else if (!constants_[i] && anchor < 0) anchor = i;
    }
    std::vector<llvm::Type*> params(1 + externs.size(), ptr_);
    params.insert(params.end(), {i64_, i64_});
    llvm::Function* steps = function("sigma_loop.steps", params, false);
    llvm::Argument* arena = steps->getArg(0);
    arena->setName("arena");
    for (size_t p = 0; p <= externs.size(); ++p) {
      steps->getArg(unsigned(p))->addAttr(llvm::Attribute::NoAlias);
      steps->getArg(unsigned(p))->addAttr(llvm::Attribute::NoCapture);
    }
    if (anchor >= 0)  // else the arena is never touched (a null one is passed)
      arena->addAttrs(llvm::AttrBuilder(context_).addAlignmentAttr(llvm::Align(64)).addDereferenceableAttr(uint64_t(layout.bytes)));
    {
      llvm::IRBuilder<> b(llvm::BasicBlock::Create(context_, "entry", steps));
      std::vector<llvm::Value*> pointers(module_.buffers.size(), nullptr);
      std::vector<std::pair<llvm::Value*, llvm::Value*>> locals;  // (local, its arena copy)
      for (int i : used_) {
        const Buffer& buffer = module_.buffers[i];
        if (constants_[i]) {
          pointers[i] = constants_[i];
          continue;
        }
        pointers[i] = b.CreateConstInBoundsGEP1_64(b.getInt8Ty(), arena, uint64_t(layout.offsets[i]), buffer.name);
        if (!localInLoop(i)) continue;
        auto* local = b.CreateAlloca(storageType(context_, buffer.type), b.getInt64(uint64_t(buffer.size)), buffer.name);
        local->setAlignment(llvm::Align(64));
        locals.emplace_back(local, pointers[i]);
        pointers[i] = local;
      }
      auto copy = [&](llvm::IRBuilder<>& at, bool in) {
        for (auto [local, home] : locals) {
          const auto* alloca = llvm::cast<llvm::AllocaInst>(local);
          const uint64_t bytes = *alloca->getAllocationSize(llvm_.getDataLayout());
          if (in) at.CreateMemCpy(local, llvm::Align(64), home, llvm::Align(4), bytes);
          else at.CreateMemCpy(home, llvm::Align(4), local, llvm::Align(64), bytes);
        }
      };
      copy(b, true);
      for (size_t e = 0; e < externs.size(); ++e) {
        pointers[externs[e]] = steps->getArg(unsigned(1 + e));
        pointers[externs[e]]->setName(module_.buffers[externs[e]].name);
      }
      emitStepLoop(b, steps, pointers, nullptr, steps->getArg(unsigned(1 + externs.size())),
                   steps->getArg(unsigned(2 + externs.size())), true, /*peelLast=*/true,
                   [&](llvm::IRBuilder<>& at) { copy(at, false); });
    }
    llvm::Argument *begin, *end;
    llvm::Function* entry = loopEntry(begin, end);
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(context_, "entry", entry));
    llvm::Value* t = table(entry);
    std::vector<llvm::Value*> args;
    args.push_back(anchor < 0 ? llvm::ConstantPointerNull::get(llvm::PointerType::getUnqual(context_))
                              : b.CreateGEP(b.getInt8Ty(), slot(b, t, size_t(anchor), "anchor"),
                                            b.getInt64(-layout.offsets[anchor]), "arena"));
    for (int i : externs) args.push_back(slot(b, t, size_t(i), module_.buffers[i].name));
    args.insert(args.end(), {begin, end});
    b.CreateCall(steps, args);
    b.CreateRetVoid();
  }

  llvm::Module& llvm_;
  const Module& module_;
  const llvm::TargetMachine& machine_;
  const std::vector<KernelFunction>& kernels_;
  llvm::LLVMContext& context_;
  llvm::Type *ptr_, *i64_;
  std::vector<llvm::GlobalVariable*> constants_;  // const buffers' globals
  std::set<int> used_;                            // buffers some kernel uses
  std::set<int> fed_;                             // buffers a loop_in kernel writes
  bool needsRuntime_ = false;
};

}  // namespace

void emitEntryPoints(llvm::Module& llvmModule, const Module& module, const llvm::TargetMachine& machine,
                     const std::vector<KernelFunction>& kernels) {
  EntryEmitter(llvmModule, module, machine, kernels).run();
}

}  // namespace sigma::codegen

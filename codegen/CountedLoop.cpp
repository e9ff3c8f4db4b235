#include "codegen/CountedLoop.h"

#include <llvm/IR/BasicBlock.h>
#include <llvm/IR/Constants.h>
#include <llvm/IR/Function.h>

namespace sigma::codegen {

void emitCountedLoop(llvm::IRBuilder<>& b, const std::string& name, llvm::Value* begin, llvm::Value* end,
                     const std::function<void(llvm::Value*)>& body) {
  emitCarriedLoop(b, name, begin, end, {}, [&](llvm::Value* index, const std::vector<llvm::Value*>&) {
    body(index);
    return std::vector<llvm::Value*>{};
  });
}

std::vector<llvm::Value*> emitCarriedLoop(llvm::IRBuilder<>& b, const std::string& name, llvm::Value* begin,
                                          llvm::Value* end, const std::vector<llvm::Value*>& initial,
                                          const CarriedBody& body) {
  llvm::LLVMContext& context = b.getContext();
  llvm::Function* function = b.GetInsertBlock()->getParent();
  llvm::Type* i64 = b.getInt64Ty();
  llvm::BasicBlock* preheader = b.GetInsertBlock();
  llvm::BasicBlock* header = llvm::BasicBlock::Create(context, name + ".loop", function);
  b.CreateBr(header);
  b.SetInsertPoint(header);
  llvm::PHINode* index = b.CreatePHI(i64, 2, name);
  index->addIncoming(begin, preheader);
  std::vector<llvm::PHINode*> phis;
  std::vector<llvm::Value*> carried;
  for (llvm::Value* v : initial) {
    phis.push_back(b.CreatePHI(v->getType(), 2, name + ".carried"));
    phis.back()->addIncoming(v, preheader);
    carried.push_back(phis.back());
  }
  std::vector<llvm::Value*> next = body(index, carried);
  // Neither wraps: 0 <= i < end <= extent <= INT64_MAX.
  llvm::Value* nextIndex = b.CreateAdd(index, llvm::ConstantInt::get(i64, 1), name + ".next", true, true);
  llvm::Value* more = b.CreateICmpULT(nextIndex, end, name + ".more");
  llvm::BasicBlock* latch = b.GetInsertBlock();  // the body may have added blocks
  llvm::BasicBlock* exit = llvm::BasicBlock::Create(context, name + ".exit", function);
  b.CreateCondBr(more, header, exit);
  index->addIncoming(nextIndex, latch);
  for (size_t i = 0; i < phis.size(); ++i) phis[i]->addIncoming(next[i], latch);
  b.SetInsertPoint(exit);
  return next;
}

}  // namespace sigma::codegen

// LLVM IR for Sigma's tanh, exp and log: the float operations of
// ir/FastTanh.h and ir/FastExpLog.h, one for one and in the same order, so
// that the JIT computes the interpreter's bits. Every operation is one LLVM
// vectorizes (no calls), so loops with them run in vector registers.
#pragma once

#include <llvm/IR/IRBuilder.h>

namespace sigma::codegen {

llvm::Value* emitFastTanh(llvm::IRBuilder<>& b, llvm::Value* a);
llvm::Value* emitFastExp(llvm::IRBuilder<>& b, llvm::Value* a);
llvm::Value* emitFastLog(llvm::IRBuilder<>& b, llvm::Value* a);

}  // namespace sigma::codegen

// One loop IR kernel body -> LLVM IR instructions (statements and scalar
// expressions), following the scalar semantics in ir/LoopIR.h exactly.
// LLVMEmitter builds the module around it: functions, parameters, the entry.
// Internal to codegen/: includes LLVM headers.
#pragma once

#include <string>
#include <unordered_map>

#include "ir/LoopIR.h"

namespace llvm {
class Function;
class LLVMContext;
class Type;
class Value;
}  // namespace llvm

namespace sigma::codegen {

// A buffer as a kernel function sees it: its pointer parameter.
struct BufferArg {
  llvm::Value* pointer = nullptr;
  const loop::Buffer* buffer = nullptr;
};
using BufferArgs = std::unordered_map<std::string, BufferArg>;

// The type of a loop IR value in registers: float, i32, i64, i1 (bool).
llvm::Type* valueType(llvm::LLVMContext& context, loop::ScalarType type);
// The type of a buffer element in memory: as valueType, but bool is i8 (C++'s
// bool), so a bool buffer is byte-addressable like a bool array.
llvm::Type* storageType(llvm::LLVMContext& context, loop::ScalarType type);

// Emits `kernel`'s body into `function`, which must have no blocks yet; the
// body ends with `ret void`. `buffers` maps every buffer the kernel touches
// to its parameter. Throws sigma::Error for IR the code generator cannot
// give a meaning to (unknown buffers or loop variables, type mismatches).
// `runtime` is the kernel's RuntimeABI* parameter (codegen/RuntimeABI.h)
// when it has parallel loops: each becomes a chunk function and a task
// handed to the thread pool. Without it parallel loops run in order.
// `step` is a training-loop kernel's i64 %step parameter.
void emitKernelBody(const loop::Kernel& kernel, llvm::Function& function, const BufferArgs& buffers,
                    llvm::Value* runtime = nullptr, llvm::Value* step = nullptr);

}  // namespace sigma::codegen

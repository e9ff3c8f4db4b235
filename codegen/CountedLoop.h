// Counted loops in LLVM IR, in the rotated form LLVM's loop passes expect:
//   header: i = phi [begin, preheader], [i.next, latch]; body...
//   latch:  i.next = i + 1; br (i.next < end), header, exit
// A constant `end` makes the trip count visible to SCEV, the vectorizer
// and the unroller. The body always runs once: callers emit nothing for an
// empty range (begin < end). Internal to codegen/: includes LLVM headers.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <llvm/IR/IRBuilder.h>

namespace sigma::codegen {

// The loop over [begin, end) at b's insertion point, which it leaves at the
// loop's exit. `body` emits one iteration for the index it is given.
void emitCountedLoop(llvm::IRBuilder<>& b, const std::string& name, llvm::Value* begin, llvm::Value* end,
                     const std::function<void(llvm::Value*)>& body);

// A counted loop whose iterations pass values on: `carried` starts as
// `initial`, each iteration's body returns the next values, and the loop
// returns the last iteration's (phi nodes in the header, so that they live
// in registers: a micro-kernel's accumulators).
using CarriedBody = std::function<std::vector<llvm::Value*>(llvm::Value* index, const std::vector<llvm::Value*>& carried)>;
std::vector<llvm::Value*> emitCarriedLoop(llvm::IRBuilder<>& b, const std::string& name, llvm::Value* begin,
                                          llvm::Value* end, const std::vector<llvm::Value*>& initial,
                                          const CarriedBody& body);

}  // namespace sigma::codegen

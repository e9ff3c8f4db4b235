// Turning LLVM's llvm::Error / llvm::Expected into sigma::Error.
//
// LLVM reports recoverable failures (no target for the triple, a symbol the
// JIT cannot resolve, ...) as llvm::Error values that abort the process if
// dropped unchecked. Sigma's callers expect exceptions naming what failed, so
// every LLVM call that can fail goes through these helpers.
// Internal to codegen/: includes LLVM headers.
#pragma once

#include <string>
#include <utility>

#include <llvm/Support/Error.h>

#include "ir/Error.h"

namespace sigma::codegen {

// Throws sigma::Error("codegen: <what>: <LLVM's message>") if `err` is set.
inline void check(llvm::Error err, const std::string& what) {
  if (err) fail("codegen: {}: {}", what, llvm::toString(std::move(err)));
}

// The value of `expected`, or a sigma::Error as check() would throw.
template <typename T>
T unwrap(llvm::Expected<T> expected, const std::string& what) {
  if (!expected) fail("codegen: {}: {}", what, llvm::toString(expected.takeError()));
  return std::move(*expected);
}

}  // namespace sigma::codegen

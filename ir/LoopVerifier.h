// Checks that a loop IR module is well formed before it is interpreted or
// compiled, so that a bad lowering or a hand-written module fails with a
// message naming the kernel and the problem instead of miscompiling.
//
// Module level: buffer names unique, sizes >= 0, element types with storage
// (f32, i32, i64), const buffers holding exactly `size` init values, kernel
// names unique, every kernel with a body.
// Kernel level: every buffer exists; every loop variable is in scope and no
// loop shadows an enclosing one; every node's operand types agree (loads have
// their buffer's type, stores a value of their buffer's type, i64 indices);
// no store into an input or const buffer; and no index that interval
// analysis over the (constant) loop extents shows can leave [0, size).
//
// Interval analysis is conservative: an index it cannot bound (one computed
// from a load, say) is left to the interpreter's run-time check.
#pragma once

#include "ir/LoopIR.h"

namespace sigma {

// Throws sigma::Error "verify: kernel @k: ..." (or "verify: module @m: ...")
// describing the first problem found.
void verifyModule(const loop::Module& module);

}  // namespace sigma

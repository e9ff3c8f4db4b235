// verify-loops: the loop-IR verifier (ir/LoopVerifier.cpp) bounds every
// index by interval analysis; a store outside its buffer is refused with
// the kernel, the buffer and the index's range. The pass manager runs it
// on its input (so bad input is never blamed on a pass) and after every
// pass, saying after which one the IR went wrong.
// RUN: %not %sigma opt %s --passes verify-loops 2>&1 | FileCheck %s
// CHECK: sigma opt: error: the input IR is invalid: verify: kernel @k: store to %o: index %i ranges over [0, 4], outside [0, 4) (the buffer has 4 elements)
module @bad {
  buffer %x : f32[4] input
  buffer %o : f32[4] output
  kernel @k {
    for %i in 0..5 {
      %o[%i] = %x[0]
    }
  }
}

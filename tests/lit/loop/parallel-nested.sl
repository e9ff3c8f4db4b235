// Only a kernel's top-level loops can be parallel: the parser says where.
// RUN: %not %sigma opt %s --passes verify-loops 2>&1 | FileCheck %s
// CHECK: parallel-nested.sl:[[@LINE+6]]:{{[0-9]+}}: error: only a kernel's top-level loops can be parallel
module @bad {
  buffer %x : f32[16] input
  buffer %o : f32[16] output
  kernel @k {
    for %i in 0..4 parallel {
      for %j in 0..4 parallel {
        %o[%i * 4 + %j] = %x[%i * 4 + %j]
      }
    }
  }
}

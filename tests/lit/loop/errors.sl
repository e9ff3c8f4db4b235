// Malformed loop IR is refused with file:line:col and what was expected.
// RUN: %not %sigma opt %s --passes verify-loops 2>&1 | FileCheck %s
// CHECK: errors.sl:[[@LINE+4]]:{{[0-9]+}}: error: unknown buffer %nowhere
module @bad {
  buffer %o : f32[4] output
  kernel @k {
    %o[0] = %nowhere[1]
  }
}

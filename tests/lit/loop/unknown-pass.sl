// An unknown pass name is an error that lists the known passes.
// RUN: %not %sigma opt %s --passes no-such-pass 2>&1 | FileCheck %s
// CHECK: unknown pass 'no-such-pass' (known passes: {{.*}}lower-to-loops
module @m {
  buffer %o : f32[4] output
}

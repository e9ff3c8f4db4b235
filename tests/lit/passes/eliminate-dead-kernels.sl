// eliminate-dead-kernels: a kernel whose every write goes to temporaries
// that no other kernel reads is removed, until none is left (@scale's %u
// dies once @square, its only reader, is gone); kernels that write an
// output or a parameter stay even when nothing reads them, and temporaries
// no kernel touches any more go too (%u, %v, %unused). Each removal is a
// remark.
// The last two RUN lines: a second run of the pass changes nothing.
// RUN: %sigma opt %s --passes eliminate-dead-kernels | FileCheck %s
// RUN: %sigma opt %s --passes eliminate-dead-kernels | FileCheck %s --check-prefix=REMARK
// RUN: %sigma opt %s --passes eliminate-dead-kernels | grep -v '^//' > %t.sl
// RUN: %sigma opt %t.sl --passes eliminate-dead-kernels | grep -v '^//' | diff %t.sl -
module @dead {
  buffer %x : f32[4] input
  buffer %w : f32[4] param
  buffer %y : f32[4] output
  buffer %t : f32[4] temp
  buffer %u : f32[4] temp
  buffer %v : f32[4] temp
  buffer %unused : f32[4] temp
  kernel @double {
    for %i in 0..4 {
      %t[%i] = %x[%i] * 2.0
    }
  }
  kernel @scale {
    for %i in 0..4 {
      %u[%i] = %x[%i] * 3.0
    }
  }
  kernel @out {
    for %i in 0..4 {
      %y[%i] = %t[%i] + 1.0
    }
  }
  kernel @square {
    for %i in 0..4 {
      %v[%i] = %u[%i] * %u[%i]
    }
  }
  kernel @decay {
    for %i in 0..4 {
      %w[%i] = %w[%i] * 0.5
    }
  }
}
// CHECK-LABEL: module @dead {
// CHECK-NEXT:    buffer %x : f32[4] input
// CHECK-NEXT:    buffer %w : f32[4] param
// CHECK-NEXT:    buffer %y : f32[4] output
// CHECK-NEXT:    buffer %t : f32[4] temp
// CHECK-NEXT:    kernel @double {
// CHECK:         kernel @out {
// CHECK:         kernel @decay {
// CHECK-NOT:     kernel

// Removals are found from the last kernel back, and again until none is left.
// REMARK:      // eliminate-dead-kernels: removed @square (its results are never read)
// REMARK-NEXT: // eliminate-dead-kernels: removed @scale (its results are never read)
// REMARK-NEXT: module @dead {

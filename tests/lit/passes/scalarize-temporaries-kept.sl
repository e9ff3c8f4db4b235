// Temporaries that must keep their size: %a is read by a later loop, %b at
// another point than it was written, %c before it is written in the body,
// %d by another kernel.
// RUN: %sigma opt %s --passes scalarize-temporaries | FileCheck %s
// CHECK-NOT: scalarize-temporaries:
// CHECK: buffer %a : f32[8] temp
// CHECK: buffer %b : f32[8] temp
// CHECK: buffer %c : f32[8] temp
// CHECK: buffer %d : f32[8] temp
module @kept {
  buffer %x : f32[8] input
  buffer %y : f32[8] output
  buffer %a : f32[8] temp
  buffer %b : f32[8] temp
  buffer %c : f32[8] temp
  buffer %d : f32[8] temp
  kernel @k {
    for %i in 0..8 {
      %a[%i] = %x[%i] * 2.0
    }
    for %i in 0..8 {
      %y[%i] = %a[%i]
    }
    for %i in 0..4 {
      %b[%i] = %x[%i]
      %y[%i] = %b[%i + 4]
    }
    for %i in 0..8 {
      %y[%i] = %c[%i]
      %c[%i] = %x[%i]
    }
    for %i in 0..8 {
      %d[%i] = %x[%i]
      %y[%i] = %d[%i]
    }
  }
  kernel @other {
    for %i in 0..8 {
      %y[%i] = %d[%i]
    }
  }
}

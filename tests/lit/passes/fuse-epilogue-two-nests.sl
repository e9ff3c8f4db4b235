// fuse-epilogue refuses a consumer that is more than one loop nest (what a
// matmul split into k chunks is: each chunk needs all of the producer's
// rows), and says so in a remark; both kernels stay as they were.
// RUN: %sigma opt %s --passes fuse-epilogue | FileCheck %s
module @m {
  buffer %x : f32[4] input
  buffer %t : f32[4] temp
  buffer %y : f32[4] output
  kernel @produce {
    for %i in 0..4 {
      %t[%i] = %x[%i] * 2.0
    }
  }
  kernel @consume {
    %y[0] = 0.0
    for %i in 0..4 {
      %y[%i] = %t[%i] + 1.0
    }
    for %i in 0..4 {
      %y[%i] = %y[%i] * %t[%i]
    }
  }
}
// CHECK: // fuse-epilogue: @consume not fused into @produce: from its first loop on it has 2 top-level statements, not one loop nest
// CHECK-LABEL: kernel @produce {
// CHECK-NEXT:    for %i in 0..4 {
// CHECK-NEXT:      %t[%i] = %x[%i] * 2.0
// CHECK-NEXT:    }
// CHECK-NEXT:  }
// CHECK-NEXT:  kernel @consume {
// CHECK-NEXT:    %y[0] = 0.0
// CHECK-NEXT:    for %i in 0..4 {

// The training loop's kernels (passes/AddTrainingLoop.h) in the loop IR:
// extern buffers print without a size, loop_in / loop_ahead / loop_out
// kernels say their role and use %step (a loop_ahead kernel the next
// step's, in prefetches), and the module parses back to the same text.
// Loop passes leave them out: fuse-loops merges the step's three loops into
// one but not the gather, which writes the %x they read over the same
// space, and plan-memory places the step's temporary but no extern buffer.
// RUN: %sigma opt %s --passes verify-loops | FileCheck %s
// RUN: %sigma opt %s --passes verify-loops | grep -v '^//' > %t.sl
// RUN: %sigma opt %t.sl --passes verify-loops | grep -v '^//' | diff %t.sl -
// RUN: %sigma opt %s --passes fuse-loops,plan-memory | FileCheck %s --check-prefix=PASSES
module @step {
  buffer %x : f32[4] input
  buffer %w : f32[4] param
  buffer %t : f32[4] temp
  buffer %y : f32[4] output
  buffer %loss : f32[1] output
  buffer %loop.features : f32[] extern
  buffer %loop.order : i32[] extern
  buffer %loop.record : f32[] extern
  kernel @scale {
    for %i in 0..4 {
      %t[%i] = %x[%i] * %w[%i]
    }
  }
  kernel @shift {
    for %i in 0..4 {
      %y[%i] = %t[%i] + %w[%i]
    }
  }
  kernel @total {
    for %i in 0..4 {
      %loss[0] = %loss[0] + %y[%i]
    }
  }
  kernel @loop_gather_x loop_in {
    for %r in 0..4 {
      %x[%r] = %loop.features[i64(%loop.order[%step * 4 + %r])]
    }
  }
  kernel @loop_prefetch_x loop_ahead {
    for %r in 0..4 {
      prefetch %loop.features[i64(%loop.order[(%step + 1) * 4 + %r])]
    }
  }
  kernel @loop_record loop_out {
    for %k in 0..1 {
      %loop.record[%step + %k] = %loss[0]
    }
  }
}
// CHECK:      buffer %loop.features : f32[] extern
// CHECK-NEXT: buffer %loop.order : i32[] extern
// CHECK:      kernel @loop_gather_x loop_in {
// CHECK-NEXT:   for %r in 0..4 {
// CHECK-NEXT:     %x[%r] = %loop.features[i64(%loop.order[%step * 4 + %r])]
// CHECK:      kernel @loop_prefetch_x loop_ahead {
// CHECK-NEXT:   for %r in 0..4 {
// CHECK-NEXT:     prefetch %loop.features[i64(%loop.order[(%step + 1) * 4 + %r])]
// CHECK:      kernel @loop_record loop_out {

// PASSES:      // fuse-loops: @shift merged into @scale
// PASSES-NOT:  loop_gather_x merged
// PASSES:      buffer %t : f32[4] temp at 0
// PASSES:      buffer %loop.features : f32[] extern
// PASSES-NOT:  extern at
// PASSES:      kernel @scale
// PASSES-NEXT:   for %i in 0..4 {
// PASSES-NEXT:     %t[%i] = %x[%i] * %w[%i]
// PASSES-NOT:  kernel @shift
// PASSES:      kernel @loop_gather_x loop_in {
// PASSES-NEXT:   for %r in 0..4 {
// PASSES:      kernel @loop_prefetch_x loop_ahead {
// PASSES-NEXT:   for %r in 0..4 {
// PASSES-NEXT:     prefetch %loop.features
// PASSES:      kernel @loop_record loop_out {
// PASSES-NEXT:   for %k in 0..1 {

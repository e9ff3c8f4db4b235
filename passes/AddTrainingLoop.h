// The training loop around a step, in the loop IR ("add-training-loop").
//
// fit's inner loop (frontend/Trainer.h) is, for each step of an epoch:
// gather the batch's samples through the shuffled order, set the step's
// scalar inputs (its learning rate, the optimizer's step terms, the
// penalty coefficients), run the step, read its loss and statistics. This
// pass writes that loop as kernels of the step's module, so that the code
// generator can compile a whole epoch into one native call
// (codegen/LLVMEmitter.h: sigma_loop) and a tiny network pays no per-step
// dispatch:
//
//   kernel @loop_gather_x loop_in {          // one per gathered input
//     for %r in 0..B { for %c in 0..F {
//       %x[%r*F + %c] = %loop.features[i64(%loop.order[%step*B + %r])*F + %c] } } }
//   kernel @loop_prefetch_x loop_ahead {     // the next step's rows, a step ahead
//     for %r in 0..B { for %l in 0..(F+15)/16+1 {  // (batches of 4 KiB or more)
//       prefetch %loop.features[i64(%loop.order[(%step+1)*B + %r])*F + min(%l*16, F-1)] } } }
//   kernel @loop_feed loop_in {              // %lr[0] = %loop.feeds[%step*N + 0] ...
//   kernel @loop_record loop_out {           // %loop.record[%step*K + 0] = %loss[0] ...
//
// The tables, the order, the feeds and the record are extern buffers
// (ir/LoopIR.h): the caller binds them to its data set and its vectors, so
// one compiled module serves any data set whose samples have the step's
// shape. The step's own kernels are untouched; its sigma_step still runs
// one step on whatever its inputs hold.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/LoopIR.h"

namespace sigma {

struct TrainingLoopSpec {
  // buffer[r·rowSize + c] = table[order[step·rows + r]·rowSize + c]: an f32
  // input of rows × rowSize elements, filled from an extern table.
  struct Gather {
    std::string buffer, table;
    int64_t rows = 0, rowSize = 0;
  };
  std::vector<Gather> gathers;       // all through one order, with the same rows
  std::string order = "loop.order";  // i32: step·rows + r -> the sample of row r
  std::string feeds = "loop.feeds";  // f32: step·feedNames.size() + i -> feedNames[i][0]
  std::vector<std::string> feedNames;
  std::string record = "loop.record";  // f32: step·recordNames.size() + i <- recordNames[i][0]
  std::vector<std::string> recordNames;
};

// Adds the extern buffers and the loop_in, loop_ahead and loop_out kernels of `spec` to
// `module` (which must not have a training loop yet). Throws sigma::Error
// naming the buffer when one is missing, not f32, of the wrong size, or a
// gathered or fed buffer is not an input.
void addTrainingLoop(loop::Module& module, const TrainingLoopSpec& spec);

}  // namespace sigma

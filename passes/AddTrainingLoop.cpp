#include "passes/AddTrainingLoop.h"

#include <cctype>

#include "ir/Error.h"

namespace sigma {

using namespace loop;

namespace {

const Buffer& stepBuffer(const Module& module, const std::string& name, const char* role) {
  const Buffer* b = module.findBuffer(name);
  if (!b) fail("add-training-loop: module @{} has no buffer '{}' to {}", module.name, name, role);
  if (b->type != ScalarType::F32) fail("add-training-loop: buffer '{}' holds {}, not f32", name, scalarTypeName(b->type));
  return *b;
}

void requireInput(const Buffer& b, const char* role) {
  if (b.kind != BufferKind::Input)
    fail("add-training-loop: buffer '{}' is {}: only the step's inputs can be {}", b.name, bufferKindName(b.kind), role);
}

void addExtern(Module& module, const std::string& name, ScalarType type) {
  if (module.findBuffer(name)) fail("add-training-loop: module @{} already has a buffer '{}'", module.name, name);
  Buffer extern_;
  extern_.name = name, extern_.type = type, extern_.size = 0, extern_.kind = BufferKind::Extern;
  module.buffers.push_back(std::move(extern_));
}

std::string kernelName(const std::string& prefix, const std::string& buffer) {
  std::string name = prefix;
  for (char c : buffer) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return name;
}

// Column i of the step's row in a steps × width extern table: step·width + i.
Expr stepColumn(int64_t i, int64_t width) {
  return Var::make(kLoopStepVar) * i64(width) + i64(i);
}

// The next step's samples come from anywhere in the table (a data set
// bigger than the caches), one row at a time: copied when they are needed,
// each row's first lines cost a trip to memory (W5: 4% of the step, 430 ns
// a row). Prefetched a step ahead, they arrive while the step computes.
// A batch under 4 KiB is not prefetched: a tiny step (W1's XOR batch of
// 32 bytes, a step of 50 ns) would pay for the prefetches, and its table
// is most often one the caches hold. The rule is on the batch, which the
// IR knows, not the table, which it does not: W5's one-hot targets (5 KiB
// a batch, from a 2.4 MB table) are prefetched too, 256 prefetches a step.
//   prefetch table[i64(order[(step+1)·R + r])·W + min(l·16, W-1)]
// for every 64-byte line l of each row (one more when a row does not start
// on a line).
constexpr int64_t kPrefetchBatchBytes = 4096;

Kernel prefetchNextRows(const std::string& order, const TrainingLoopSpec::Gather& g) {
  constexpr int64_t kLineFloats = 16;
  Expr r = Var::make("r"), l = Var::make("l");
  Expr next = (Var::make(kLoopStepVar) + i64(1)) * i64(g.rows) + r;
  Expr sample = Cast::make(ScalarType::I64, Load::make(order, ScalarType::I32, next));
  Expr column = Binary::make(BinaryOp::Min, l * i64(kLineFloats), i64(g.rowSize - 1));
  Stmt prefetch = Prefetch::make(g.table, sample * i64(g.rowSize) + column);
  const int64_t lines = (g.rowSize + kLineFloats - 1) / kLineFloats + 1;
  return {kernelName("loop_prefetch_", g.buffer), {}, For::make("r", g.rows, For::make("l", lines, prefetch)),
          KernelRole::LoopAhead};
}

}  // namespace

void addTrainingLoop(Module& module, const TrainingLoopSpec& spec) {
  if (module.hasTrainingLoop()) fail("add-training-loop: module @{} has a training loop already", module.name);
  if (spec.gathers.empty() && spec.feedNames.empty() && spec.recordNames.empty())
    fail("add-training-loop: the loop gathers, feeds and records nothing");

  std::vector<Kernel> kernels;
  if (!spec.gathers.empty()) addExtern(module, spec.order, ScalarType::I32);
  const int64_t rows = spec.gathers.empty() ? 0 : spec.gathers.front().rows;
  for (const TrainingLoopSpec::Gather& g : spec.gathers) {
    const Buffer& b = stepBuffer(module, g.buffer, "gather into");
    requireInput(b, "gathered");
    if (g.rows != rows) fail("add-training-loop: gathers into '{}' and '{}' differ in rows", spec.gathers.front().buffer, g.buffer);
    if (g.rows <= 0 || g.rowSize <= 0 || g.rows * g.rowSize != b.size)
      fail("add-training-loop: '{}' has {} elements, not {} rows of {}", g.buffer, b.size, g.rows, g.rowSize);
    addExtern(module, g.table, ScalarType::F32);
    // buffer[r·W + c] = table[i64(order[step·R + r])·W + c]
    Expr r = Var::make("r"), c = Var::make("c");
    Expr sample = Cast::make(ScalarType::I64, Load::make(spec.order, ScalarType::I32, Var::make(kLoopStepVar) * i64(rows) + r));
    Stmt copy = Store::make(g.buffer, r * i64(g.rowSize) + c,
                            Load::make(g.table, ScalarType::F32, sample * i64(g.rowSize) + c));
    kernels.push_back({kernelName("loop_gather_", g.buffer), {}, For::make("r", g.rows, For::make("c", g.rowSize, copy)),
                       KernelRole::LoopIn});
    if (g.rows * g.rowSize * int64_t(sizeof(float)) >= kPrefetchBatchBytes) kernels.push_back(prefetchNextRows(spec.order, g));
  }
  if (!spec.feedNames.empty()) {
    addExtern(module, spec.feeds, ScalarType::F32);
    std::vector<Stmt> stores;
    const int64_t n = int64_t(spec.feedNames.size());
    for (int64_t i = 0; i < n; ++i) {
      const Buffer& b = stepBuffer(module, spec.feedNames[size_t(i)], "feed");
      requireInput(b, "fed");
      if (b.size != 1) fail("add-training-loop: fed buffer '{}' has {} elements, not 1", b.name, b.size);
      stores.push_back(Store::make(b.name, i64(0), Load::make(spec.feeds, ScalarType::F32, stepColumn(i, n))));
    }
    kernels.push_back({"loop_feed", {}, Block::make(std::move(stores)), KernelRole::LoopIn});
  }
  if (!spec.recordNames.empty()) {
    addExtern(module, spec.record, ScalarType::F32);
    std::vector<Stmt> stores;
    const int64_t n = int64_t(spec.recordNames.size());
    for (int64_t i = 0; i < n; ++i) {
      const Buffer& b = stepBuffer(module, spec.recordNames[size_t(i)], "record");
      if (b.size != 1) fail("add-training-loop: recorded buffer '{}' has {} elements, not 1", b.name, b.size);
      stores.push_back(Store::make(spec.record, stepColumn(i, n), Load::make(b.name, ScalarType::F32, i64(0))));
    }
    kernels.push_back({"loop_record", {}, Block::make(std::move(stores)), KernelRole::LoopOut});
  }
  for (Kernel& k : kernels) {
    for (const Kernel& existing : module.kernels)
      if (existing.name == k.name) fail("add-training-loop: module @{} already has a kernel @{}", module.name, k.name);
    module.kernels.push_back(std::move(k));
  }
}

}  // namespace sigma

// The training loop's loop_ahead kernels (passes/AddTrainingLoop.h): they
// prefetch the next step's samples, so they run in every step of a call
// but its last, whose next step's order may not exist; they change no
// value; the IR says so (prefetch statements only, parsed, printed,
// verified) and the interpreter checks their indices as a load's.
#include <gtest/gtest.h>

#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "frontend/Trainer.h"
#include "ir/LoopParser.h"
#include "ir/LoopPrinter.h"
#include "ir/LoopVerifier.h"
#include "runtime/Executable.h"
#include "TrainTestSupport.h"

using namespace sigma;
using namespace sigma::traintest;

namespace {

// A step that sums its gathered batch; its loop_ahead kernel prefetches
// the rows of step + `ahead`.
std::string carryModule(int ahead, int offset = 0) {
  return fmt::format(R"(module @ahead {{
  buffer %x : f32[4] input
  buffer %loss : f32[1] output
  buffer %loop.features : f32[] extern
  buffer %loop.order : i32[] extern
  buffer %loop.record : f32[] extern
  kernel @total {{
    for %i in 0..4 {{
      %loss[0] = %loss[0] + %x[%i]
    }}
  }}
  kernel @loop_gather_x loop_in {{
    for %r in 0..4 {{
      %x[%r] = %loop.features[i64(%loop.order[%step * 4 + %r])]
    }}
  }}
  kernel @loop_prefetch_x loop_ahead {{
    for %r in 0..4 {{
      prefetch %loop.features[i64(%loop.order[(%step + {}) * 4 + %r]) + {}]
    }}
  }}
  kernel @loop_record loop_out {{
    %loop.record[%step] = %loss[0]
  }}
}}
)",
                     ahead, offset);
}

// `count` int32s that end where an inaccessible page begins: a read past
// the end faults instead of passing unnoticed (the JIT's code is not
// instrumented by the sanitizers).
class GuardedOrder {
 public:
  explicit GuardedOrder(size_t count) : page_(size_t(sysconf(_SC_PAGESIZE))) {
    bytes_ = (count * sizeof(int32_t) + page_ - 1) / page_ * page_ + page_;
    void* p = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::runtime_error("mmap failed");
    base_ = static_cast<std::byte*>(p);
    mprotect(base_ + bytes_ - page_, page_, PROT_NONE);
    data_ = reinterpret_cast<int32_t*>(base_ + bytes_ - page_) - count;
    count_ = count;
  }
  ~GuardedOrder() { munmap(base_, bytes_); }
  std::span<int32_t> span() { return {data_, count_}; }

 private:
  size_t page_, bytes_ = 0, count_ = 0;
  std::byte* base_ = nullptr;
  int32_t* data_ = nullptr;
};

}  // namespace

TEST(LoopAhead, PrefetchesParsePrintAndVerify) {
  const std::string text = carryModule(1);
  loop::Module module = parseModule(text);
  EXPECT_EQ(printModule(module), text);
  EXPECT_NO_THROW(verifyModule(module));
  EXPECT_EQ(module.kernels[2].role, loop::KernelRole::LoopAhead);

  const std::string buffers = "module @m {\n  buffer %x : f32[4] input\n  buffer %t : f32[] extern\n";
  EXPECT_NE(verifyTextError(buffers + "  buffer %y : f32[4] temp\n  kernel @k loop_ahead {\n    %y[0] = %t[%step]\n  }\n}\n")
                .find("a loop_ahead kernel only prefetches"),
            std::string::npos);
  EXPECT_NE(verifyTextError(buffers + "  kernel @k loop_ahead {\n    for %i in 0..4 {\n      prefetch %x[%i + 1]\n    }\n  }\n}\n")
                .find("prefetch of %x: index %i + 1 ranges over [1, 4], outside [0, 4)"),
            std::string::npos);
  // The passes see only the step's kernels: a prefetch there, which they would not know reads, is refused.
  EXPECT_NE(verifyTextError(buffers + "  kernel @k {\n    prefetch %x[0]\n  }\n}\n")
                .find("prefetch of %x: only the training loop's kernels may prefetch"),
            std::string::npos);
  EXPECT_NE(verifyTextError(buffers + "  kernel @k {\n    prefetch %t[0]\n  }\n}\n")
                .find("prefetch of extern buffer %t: only the training loop's kernels"),
            std::string::npos);
  EXPECT_NE(errorOf([&] { parseModule(buffers + "  kernel @k loop_ahead {\n    prefetch %t[1.0]\n  }\n}\n"); })
                .find("5:17: error: prefetch of 't' needs an i64 index"),
            std::string::npos);
  EXPECT_NE(errorOf([&] { parseModule(buffers + "  kernel @k loop_ahead {\n    prefetch %t\n  }\n}\n"); })
                .find("expected '[' (a prefetch is prefetch %buffer[index])"),
            std::string::npos);
}

// Both backends run the loop_ahead kernel in every step of a call but its
// last: the interpreter checks its order loads (a step further ahead runs
// past the order) and the prefetch's own index; the JIT, handed an order
// that ends at an inaccessible page, would fault if it ran in a last step.
TEST(LoopAhead, RunsInEveryStepButACallsLast) {
  const std::vector<float> features = {1.0f, -2.0f, 0.5f, 3.0f, 0.25f, -1.5f};
  const int steps = 7;
  GuardedOrder order(size_t(steps) * 4);
  for (int i = 0; i < steps * 4; ++i) order.span()[size_t(i)] = (i * 5) % 6;
  std::vector<float> records[2] = {std::vector<float>(steps), std::vector<float>(steps)};
  for (int jit = 0; jit < 2; ++jit) {
    Executable exec(parseModule(carryModule(1)), {.backend = jit ? Backend::JIT : Backend::Interpreter});
    exec.bind("loop.features", std::span<const float>(features));
    exec.bind("loop.order", std::span<const int32_t>(order.span()));
    exec.bind("loop.record", std::span<float>(records[jit]));
    exec.runLoop(0, 3);  // a call that ends mid-order, then the rest
    exec.runLoop(3, steps);
  }
  EXPECT_EQ(std::memcmp(records[0].data(), records[1].data(), sizeof(float) * steps), 0);
  EXPECT_EQ(records[0][0], 1.0f - 1.5f + 0.25f + 3.0f);  // samples 0, 5, 4, 3

  auto interpretedError = [&](const std::string& text) {
    Executable exec(parseModule(text), {.backend = Backend::Interpreter});
    std::vector<float> record(steps);
    exec.bind("loop.features", std::span<const float>(features));
    exec.bind("loop.order", std::span<const int32_t>(order.span()));
    exec.bind("loop.record", std::span<float>(record));
    return errorOf([&] { exec.runLoop(0, steps); });
  };
  EXPECT_NE(interpretedError(carryModule(2)).find("load from %loop.order"), std::string::npos);
  EXPECT_NE(interpretedError(carryModule(1, 6)).find("prefetch of %loop.features"), std::string::npos);
}

// fit's steps: a batch of 4 KiB or more gets its rows prefetched a step
// ahead (W5's 401 KB; the one-hot targets' 96 bytes here do not), and the
// compiled loop, not tiny, reads no order past its end.
TEST(LoopAhead, CompiledStepsPrefetchLargeBatchesAndMatchTheInterpreter) {
  const int64_t features = 600, steps = 6;  // 8 rows × 600 × 4 bytes = 19 KB
  Dataset data = blobs(24, 9);
  data.sampleShape = {features};
  std::vector<float> wide;
  for (int64_t i = 0; i < data.count; ++i)
    for (int64_t f = 0; f < features; ++f) wide.push_back(data.features[size_t(i * 2 + f % 2)] * float(1 + f % 5));
  data.features = wide;
  auto make = [&](Backend backend) {
    nn::Sequential net{nn::Linear(features, 16), nn::Tanh(), nn::Linear(16, 3)};
    return compile(net, loss::cross_entropy(), optim::adam({.lr = 0.01f}), {.batch = 8, .seed = 3, .backend = backend});
  };
  TrainingStep jit = make(Backend::JIT), interpreted = make(Backend::Interpreter);
  const std::string text = printModule(jit.loopModule());
  EXPECT_NE(text.find("kernel @loop_prefetch_x loop_ahead {"), std::string::npos);
  EXPECT_NE(text.find("prefetch %loop.features[i64(%loop.order[(%step + 1) * 8 + %r]) * 600 + min(%l * 16, 599)]"),
            std::string::npos);
  EXPECT_EQ(text.find("loop_prefetch_target"), std::string::npos);
  std::vector<float> targets(size_t(data.count * data.numClasses));
  encodeTargets(TargetEncoding::OneHot, data.labels.data(), data.count, data.numClasses, targets.data());
  GuardedOrder order(size_t(steps * 8));
  for (int64_t i = 0; i < steps * 8; ++i) order.span()[size_t(i)] = int32_t((i * 7) % data.count);
  const std::vector<float> rates(size_t(steps), 0.01f);
  for (TrainingStep* step : {&jit, &interpreted}) step->runLoop({data.features, targets, order.span(), rates}, 0, steps);
  for (int64_t s = 0; s < steps; ++s) {
    const float a = jit.loopResult(s).loss, b = interpreted.loopResult(s).loss;
    EXPECT_EQ(std::memcmp(&a, &b, sizeof(float)), 0) << "step " << s << ": " << a << " vs " << b;
  }
  for (const std::string& n : jit.parameterNames()) {
    std::span<const float> a = std::as_const(jit).parameter(n), b = std::as_const(interpreted).parameter(n);
    EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size_bytes()), 0) << n;
  }
}

// The seed network's XOR batch (32 bytes) is not prefetched: its step stays
// as it was.
TEST(LoopAhead, SmallBatchesAreNotPrefetched) {
  TrainingStep step = compile(nn::Sequential{nn::Linear(2, 3), nn::Tanh(), nn::Linear(3, 1)}, loss::mse(),
                              optim::sgd({.lr = 0.1f}), {.batch = 4});
  ASSERT_TRUE(step.hasTrainingLoop());
  EXPECT_EQ(printModule(step.loopModule()).find("loop_ahead"), std::string::npos);
}

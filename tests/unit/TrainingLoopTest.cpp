// The compiled training loop (passes/AddTrainingLoop.h, TrainingStep::
// runLoop, FitOptions::compiledLoop): one native call per epoch must compute
// exactly what stepping from the host computes, on the JIT and on the
// interpreter, stop at the same non-finite step with the same state, and
// refuse batches it would read outside of.
#include <gtest/gtest.h>

#include <limits>

#include <cstring>
#include <numeric>
#include <vector>

#include "frontend/Evaluator.h"
#include "frontend/SeedNetwork.h"
#include "frontend/Trainer.h"
#include "ir/LoopParser.h"
#include "ir/LoopPrinter.h"
#include "ir/LoopVerifier.h"
#include "runtime/Executable.h"
#include "TrainTestSupport.h"

using namespace sigma;
using namespace sigma::traintest;

namespace {

TrainingStep blobStep(const Optimizer& opt, Backend backend = Backend::JIT, float l1 = 1e-4f,
                      VectorIsa isa = VectorIsa::Host, int64_t features = 2) {
  nn::Sequential net{nn::Linear(features, 16), nn::Tanh(), nn::Linear(16, 3)};
  return compile(net, loss::cross_entropy(), opt,
                 {.batch = 8, .seed = 3, .backend = backend, .regularize = {{"*", reg::l1(l1) + reg::l2(1e-3f)}},
                  .isa = isa});
}

// Every step's batch of a shuffled epoch over `data`, the step's tables.
struct Epoch {
  std::vector<float> targets;
  std::vector<int32_t> order;
  std::vector<float> rates;
  Epoch(const TrainingStep& step, const Dataset& data, int64_t steps) {
    targets.resize(size_t(data.count * data.numClasses));
    encodeTargets(TargetEncoding::OneHot, data.labels.data(), data.count, data.numClasses, targets.data());
    std::vector<int64_t> shuffled = shuffledOrder(data.count, 7, 0);
    for (int64_t i = 0; i < steps * step.batch(); ++i) order.push_back(int32_t(shuffled[size_t(i % data.count)]));
    for (int64_t s = 0; s < steps; ++s) rates.push_back(0.05f / float(1 + s));  // a different rate every step
  }
};

void expectSameBits(const StepResult& a, const StepResult& b, int64_t s) {
  EXPECT_EQ(std::memcmp(&a.loss, &b.loss, sizeof(float)), 0) << "step " << s << ": " << a.loss << " vs " << b.loss;
  ASSERT_EQ(a.weights.size(), b.weights.size());
  for (size_t p = 0; p < a.weights.size(); ++p) {
    const WeightStats &x = a.weights[p], &y = b.weights[p];
    const float xs[] = {x.sum, x.abs_sum, x.sq_sum, x.max_abs, x.zeros, x.grad_sq_sum};
    const float ys[] = {y.sum, y.abs_sum, y.sq_sum, y.max_abs, y.zeros, y.grad_sq_sum};
    EXPECT_EQ(std::memcmp(xs, ys, sizeof xs), 0) << "step " << s << ", " << x.name;
  }
}

void expectSameParameters(TrainingStep& a, TrainingStep& b) {
  std::vector<std::string> names = a.parameterNames();
  names.insert(names.end(), a.stateNames().begin(), a.stateNames().end());
  for (const std::string& n : names) {
    std::span<const float> x = std::as_const(a).parameter(n), y = std::as_const(b).parameter(n);
    ASSERT_EQ(x.size(), y.size());
    EXPECT_EQ(std::memcmp(x.data(), y.data(), x.size_bytes()), 0) << n;
  }
}

}  // namespace

// The loop against the same steps run one by one from the host, with the
// batches gathered on the host: Adam's per-step terms, a rate per step.
TEST(TrainingLoop, OneCallComputesTheBitsOfStepsFromTheHost) {
  const Dataset data = blobs(40, 5);
  const int64_t steps = 12;  // more than one pass over the 40 samples
  TrainingStep looped = blobStep(optim::adam({.lr = 0.05f}));
  TrainingStep stepped = blobStep(optim::adam({.lr = 0.05f}));
  ASSERT_TRUE(looped.hasTrainingLoop());
  Epoch epoch(looped, data, steps);
  looped.runLoop({data.features, epoch.targets, epoch.order, epoch.rates}, 0, 5);  // in two calls
  looped.runLoop({data.features, epoch.targets, epoch.order, epoch.rates}, 5, steps);
  EXPECT_EQ(looped.stepCount(), steps);
  std::vector<int64_t> rows(size_t(stepped.batch()));
  for (int64_t s = 0; s < steps; ++s) {
    for (int64_t r = 0; r < stepped.batch(); ++r) rows[size_t(r)] = epoch.order[size_t(s * stepped.batch() + r)];
    gatherBatch(data, rows, stepped.executable().f32("x").data(), nullptr);
    gatherOneHot(data, rows, stepped.executable().f32("target").data());
    stepped.setLearningRate(epoch.rates[size_t(s)]);
    StepResult expected = stepped.runInPlace();
    if (s >= 5) expectSameBits(looped.loopResult(s), expected, s);
  }
  expectSameParameters(looped, stepped);
  EXPECT_EQ(looped.learningRate(), epoch.rates.back());
}

// A step lowered and compiled for AVX2 (8-lane blocks and vectors, 16
// registers; natively on an AVX-512 host too) trains to the bits of the
// host's: the compiled loop over a data set wide enough for every kernel to
// take the vector and matmul-block paths.
TEST(TrainingLoop, AnAvx2StepTrainsToTheBitsOfTheHostsStep) {
  const Dataset data = [] {
    // Blobs in 2 features, spread over 40 with a different scale each.
    const Dataset d = blobs(64, 9);
    const int64_t narrow = d.sampleSize(), width = 40;
    Dataset wide{.name = "wide blobs", .count = d.count, .sampleShape = {width}, .labels = d.labels,
                 .numClasses = d.numClasses};
    for (int64_t i = 0; i < d.count * width; ++i)
      wide.features.push_back(d.features[size_t(i / width * narrow + i % narrow)] * float(1 + i % 5) * 0.25f);
    wide.validate();
    return wide;
  }();
  const int64_t steps = 16;
  TrainingStep host = blobStep(optim::adam({.lr = 0.05f}), Backend::JIT, 1e-4f, VectorIsa::Host, data.sampleSize());
  TrainingStep avx2 = blobStep(optim::adam({.lr = 0.05f}), Backend::JIT, 1e-4f, VectorIsa::Avx2, data.sampleSize());
  EXPECT_EQ(avx2.executable().jit()->targetDescription().find("+avx512"), std::string::npos);
  Epoch epoch(host, data, steps);
  host.runLoop({data.features, epoch.targets, epoch.order, epoch.rates}, 0, steps);
  avx2.runLoop({data.features, epoch.targets, epoch.order, epoch.rates}, 0, steps);
  for (int64_t s = 0; s < steps; ++s) expectSameBits(avx2.loopResult(s), host.loopResult(s), s);
  expectSameParameters(avx2, host);
}

// The JIT's sigma_loop against the interpreter's loop over the same IR, in
// both of its forms (codegen/EntryEmitter.h): a tiny step's, inlined and
// addressing the arena by offsets, and a larger step's, calling its kernels.
TEST(TrainingLoop, TheJitLoopMatchesTheInterpreter) {
  for (int64_t features : {2, 600}) {  // 600 × batch 8 = 4800 inputs: more than a tiny step's 4096
    Dataset data = blobs(24, 9);
    if (features > 2) {
      data.sampleShape = {features};
      std::vector<float> wide;
      for (int64_t i = 0; i < data.count; ++i)
        for (int64_t f = 0; f < features; ++f) wide.push_back(data.features[size_t(i * 2 + f % 2)] * float(1 + f % 5));
      data.features = wide;
    }
    auto make = [&](Backend backend, int threads) {
      nn::Sequential net{nn::Linear(features, 16), nn::Tanh(), nn::Linear(16, 3)};
      CompileOptions options{.batch = 8, .seed = 3, .backend = backend,
                             .regularize = {{"*", reg::l1(1e-4f) + reg::l2(1e-3f)}}};
      options.threads = threads;
      return compile(net, loss::cross_entropy(), optim::momentum({.lr = 0.05f, .momentum = 0.9f}), options);
    };
    // The larger step also on two threads: its parallel loops, inside the loop.
    TrainingStep jit = make(Backend::JIT, 1), threaded = make(Backend::JIT, 2);
    TrainingStep interpreted = make(Backend::Interpreter, 1);
    const std::string& ir = threaded.executable().jit()->unoptimizedLLVMIR();
    EXPECT_EQ(ir.find("sigma_loop.steps") != std::string::npos, features == 2);
    if (features > 2) EXPECT_NE(ir.find(".chunk"), std::string::npos) << "no parallel loop inside the loop";
    Epoch epoch(jit, data, 6);
    for (TrainingStep* step : {&jit, &threaded, &interpreted})
      step->runLoop({data.features, epoch.targets, epoch.order, epoch.rates}, 0, 6);
    for (int64_t s = 0; s < 6; ++s) {
      expectSameBits(jit.loopResult(s), interpreted.loopResult(s), s);
      expectSameBits(threaded.loopResult(s), interpreted.loopResult(s), s);
    }
    expectSameParameters(jit, interpreted);
    expectSameParameters(threaded, interpreted);
  }
}

// fit's compiled loop and its host loop write byte-identical metrics (every
// step logged, a schedule changing the rate each step) and end on the same
// parameters, through a data set whose size is not a multiple of the batch.
TEST(TrainingLoop, FitWritesTheSameMetricsWithAndWithoutTheCompiledLoop) {
  const Dataset data = blobs(61, 3);
  std::string metrics[2];
  TrainingStep steps[2] = {blobStep(optim::adam({.lr = 0.02f})), blobStep(optim::adam({.lr = 0.02f}))};
  for (int compiled = 0; compiled < 2; ++compiled) {
    TempDir dir;
    FitOptions options{.epochs = 3, .seed = 4, .schedule = schedule::cosine(3), .logEvery = 1, .outDir = dir.path(),
                       .progress = ProgressMode::Off, .compiledLoop = compiled == 1};
    FitHistory h = fit(steps[compiled], data, &data, options);
    EXPECT_EQ(h.epochs.back().step, 3 * (61 / 8));
    metrics[compiled] = readFile(dir.file(kMetricsFile));
  }
  EXPECT_EQ(metrics[0], metrics[1]);
  expectSameParameters(steps[0], steps[1]);
  EXPECT_EQ(steps[0].stepCount(), steps[1].stepCount());
  EXPECT_EQ(steps[0].learningRate(), steps[1].learningRate());
}

// A run that diverges: the compiled loop runs on past the bad step within
// its call, then replays the epoch from its start, so the error and the
// state it leaves are those of stepping from the host.
TEST(TrainingLoop, ANonFiniteStopLeavesTheStateOfStepsFromTheHost) {
  const Dataset data = blobs(200, 2);
  std::string errors[2];
  TrainingStep steps[2] = {blobStep(optim::sgd({.lr = 1e30f})), blobStep(optim::sgd({.lr = 1e30f}))};
  for (int compiled = 0; compiled < 2; ++compiled)
    errors[compiled] = errorOf([&] {
      fit(steps[compiled], data, nullptr, {.epochs = 3, .progress = ProgressMode::Off, .compiledLoop = compiled == 1});
    });
  EXPECT_NE(errors[1].find("training stopped at step "), std::string::npos) << errors[1];
  EXPECT_EQ(errors[0], errors[1]);
  EXPECT_EQ(steps[0].stepCount(), steps[1].stepCount());
  EXPECT_GT(steps[1].stepCount(), 1);
  expectSameParameters(steps[0], steps[1]);
}

// XOR's labels as numbers (the seed network's MSE), one step per epoch.
TEST(TrainingLoop, TheSeedNetworkTrainsTheSameOnXor) {
  const Dataset xor_ = xorDataset();
  TrainingStep steps[2] = {compile(seedNetwork(), seedLoss(), seedOptimizer(), {.batch = 4}),
                           compile(seedNetwork(), seedLoss(), seedOptimizer(), {.batch = 4})};
  double losses[2];
  for (int compiled = 0; compiled < 2; ++compiled)
    losses[compiled] = fit(steps[compiled], xor_, nullptr,
                           {.epochs = 200, .progress = ProgressMode::Off, .compiledLoop = compiled == 1})
                           .epochs.back()
                           .loss;
  EXPECT_EQ(losses[0], losses[1]);
  expectSameParameters(steps[0], steps[1]);
}

TEST(TrainingLoop, BatchesOutsideTheTablesAreRefusedBeforeAnythingRuns) {
  const Dataset data = blobs(16, 1);
  TrainingStep step = blobStep(optim::sgd({.lr = 0.1f}));
  Epoch epoch(step, data, 2);
  const std::vector<float> before(step.parameter("fc1.weight").begin(), step.parameter("fc1.weight").end());
  std::vector<int32_t> bad = epoch.order;
  bad[11] = 16;
  EXPECT_NE(errorOf([&] { step.runLoop({data.features, epoch.targets, bad, epoch.rates}, 0, 2); })
                .find("order[11] = 16 is not a sample index (the tables hold 16 samples)"),
            std::string::npos);
  bad = epoch.order;
  bad[6] = -1;  // checked as unsigned: larger than any table
  EXPECT_NE(errorOf([&] { step.runLoop({data.features, epoch.targets, bad, epoch.rates}, 0, 2); })
                .find("order[6] = -1 is not a sample index"),
            std::string::npos);
  bad[6] = 0, bad[9] = std::numeric_limits<int32_t>::min();
  EXPECT_NE(errorOf([&] { step.runLoop({data.features, epoch.targets, bad, epoch.rates}, 1, 2); })
                .find("order[9] = -2147483648 is not a sample index"),
            std::string::npos);
  EXPECT_NE(errorOf([&] { step.runLoop({data.features, epoch.targets, epoch.order, epoch.rates}, 0, 3); })
                .find("step 2 needs 24 sample indices, the order has 16"),
            std::string::npos);
  EXPECT_NE(errorOf([&] {
              step.runLoop({data.features, epoch.targets, epoch.order, std::span(epoch.rates).first(1)}, 0, 2);
            }).find("step 1 needs a learning rate, there are 1"),
            std::string::npos);
  EXPECT_NE(errorOf([&] {
              step.runLoop({std::span(data.features).first(31), epoch.targets, epoch.order, epoch.rates}, 0, 2);
            }).find("are not the same number of samples"),
            std::string::npos);
  EXPECT_EQ(step.stepCount(), 0);
  EXPECT_TRUE(std::equal(before.begin(), before.end(), step.parameter("fc1.weight").begin()));
  EXPECT_NE(errorOf([&] { (void)step.loopResult(0); }).find("is not one of the last loop's [0, 0)"), std::string::npos);

  // The executable's own checks: unbound extern buffers, binding the arena's.
  TrainingStep fresh = blobStep(optim::sgd({.lr = 0.1f}));
  EXPECT_NE(errorOf([&] { fresh.executable().runLoop(0, 1); }).find("extern buffer 'loop.order' is not bound"),
            std::string::npos);
  std::vector<float> storage(8);
  EXPECT_NE(errorOf([&] { fresh.executable().bind("x", std::span<const float>(storage)); })
                .find("buffer 'x' is input, not extern"),
            std::string::npos);
  EXPECT_NE(errorOf([&] { fresh.executable().bind("loop.order", std::span<const float>(storage)); })
                .find("holds i32, not f32"),
            std::string::npos);
}

TEST(TrainingLoop, WithoutItTheStepHasNoLoopAndFitStepsFromTheHost) {
  CompileOptions options{.batch = 4};
  options.trainingLoop = false;
  TrainingStep step = compile(seedNetwork(), seedLoss(), seedOptimizer(), options);
  EXPECT_FALSE(step.hasTrainingLoop());
  EXPECT_EQ(step.loopModule().findBuffer("loop.order"), nullptr);
  EXPECT_NE(errorOf([&] { step.runLoop({}, 0, 1); }).find("compiled without its training loop"), std::string::npos);
  const Dataset xor_ = xorDataset();
  EXPECT_EQ(fit(step, xor_, nullptr, {.epochs = 3, .progress = ProgressMode::Off}).epochs.back().step, 3);
}

// The loop's kernels print and parse back, and the verifier keeps them apart
// from the step's: %step only in loop kernels, inputs written only by loop_in.
TEST(TrainingLoop, TheLoopIRRoundTripsAndIsVerified) {
  TrainingStep step = compile(seedNetwork(), seedLoss(), seedOptimizer(), {.batch = 4});
  const std::string text = printModule(step.loopModule());
  EXPECT_NE(text.find("buffer %loop.order : i32[] extern"), std::string::npos);
  EXPECT_NE(text.find("kernel @loop_gather_x loop_in {"), std::string::npos);
  EXPECT_NE(text.find("kernel @loop_record loop_out {"), std::string::npos);
  EXPECT_EQ(printModule(parseModule(text)), text);

  const std::string buffers = "module @m {\n  buffer %x : f32[4] input\n  buffer %t : f32[] extern\n";
  EXPECT_EQ(verifyTextError(buffers + "  kernel @k loop_in {\n    for %i in 0..4 {\n      %x[%i] = %t[%step*4 + %i]\n    }\n  }\n}\n"),
            "(no error)");
  EXPECT_NE(verifyTextError(buffers + "  kernel @k {\n    %t[%step] = %x[0]\n  }\n}\n").find("loop variable %step is not in scope"),
            std::string::npos);
  EXPECT_NE(verifyTextError(buffers + "  kernel @k loop_out {\n    %x[0] = %t[%step]\n  }\n}\n")
                .find("stores into input buffer %x"),
            std::string::npos);
  EXPECT_NE(verifyTextError(buffers + "  buffer %y : f32[1] output\n  kernel @k {\n    %y[0] = %t[0]\n  }\n}\n")
                .find("only the training loop's kernels may use extern buffers"),
            std::string::npos);
  EXPECT_NE(verifyTextError(buffers + "  kernel @k loop_in {\n    %x[%step] = 1.0\n  }\n}\n")
                .find("uses %step, but only extern buffers are indexed by the step"),
            std::string::npos);
  EXPECT_NE(errorOf([&] { parseModule("module @m {\n  buffer %t : f32[4] extern\n}\n"); })
                .find("an extern buffer has no size in the IR: write f32[]"),
            std::string::npos);
  EXPECT_NE(errorOf([&] { parseModule("module @m {\n  buffer %t : f32[] temp\n}\n"); })
                .find("only an extern buffer has no size"),
            std::string::npos);
}

// A module written by hand, whose steps also read what an earlier step left
// (%loss accumulates over the steps, %y is read back before it is
// rewritten): the JIT's loop, in its tiny form with local arrays, must see
// what the interpreter sees in the arena, and leave the same arena behind.
TEST(TrainingLoop, AHandWrittenLoopCarriesValuesAcrossStepsLikeTheInterpreter) {
  const std::string text = R"(module @carry {
  buffer %x : f32[4] input
  buffer %w : f32[4] param
  buffer %y : f32[4] output
  buffer %loss : f32[1] output
  buffer %loop.features : f32[] extern
  buffer %loop.order : i32[] extern
  buffer %loop.record : f32[] extern
  kernel @scale {
    for %i in 0..4 {
      %y[%i] = %y[%i] * 0.5 + %x[%i] * %w[%i]
    }
  }
  kernel @total {
    for %i in 0..4 {
      %loss[0] = %loss[0] + %y[%i]
    }
  }
  kernel @update {
    for %i in 0..4 {
      %w[%i] = %w[%i] - 0.01 * %y[%i]
    }
  }
  kernel @loop_gather_x loop_in {
    for %r in 0..4 {
      %x[%r] = %loop.features[i64(%loop.order[%step * 4 + %r])]
    }
  }
  kernel @loop_record loop_out {
    %loop.record[%step] = %loss[0]
  }
}
)";
  const std::vector<float> features = {1.0f, -2.0f, 0.5f, 3.0f, 0.25f, -1.5f};
  std::vector<int32_t> order;
  for (int s = 0; s < 7; ++s)
    for (int r = 0; r < 4; ++r) order.push_back((s + r * 2) % 6);
  std::vector<float> records[2] = {std::vector<float>(7), std::vector<float>(7)};
  std::vector<float> arenas[2];
  for (int jit = 0; jit < 2; ++jit) {
    Executable exec(parseModule(text), {.backend = jit ? Backend::JIT : Backend::Interpreter});
    if (jit) ASSERT_NE(exec.jit()->unoptimizedLLVMIR().find("sigma_loop.steps"), std::string::npos);
    const float w0[] = {0.3f, -0.7f, 1.1f, 0.05f};
    std::ranges::copy(w0, exec.f32("w").begin());
    exec.bind("loop.features", std::span<const float>(features));
    exec.bind("loop.order", std::span<const int32_t>(order));
    exec.bind("loop.record", std::span<float>(records[jit]));
    exec.runLoop(0, 3);  // in two calls: what the first leaves, the second reads
    exec.runLoop(3, 7);
    for (const char* name : {"w", "y", "loss", "x"})
      for (float v : exec.f32(name)) arenas[jit].push_back(v);
  }
  EXPECT_EQ(std::memcmp(records[0].data(), records[1].data(), 7 * sizeof(float)), 0);
  ASSERT_EQ(arenas[0].size(), arenas[1].size());
  EXPECT_EQ(std::memcmp(arenas[0].data(), arenas[1].data(), arenas[0].size() * sizeof(float)), 0);
  EXPECT_NE(records[1][6], records[1][5]);  // the loss did accumulate
}

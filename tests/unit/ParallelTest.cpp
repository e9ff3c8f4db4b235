// Parallel loops on the thread pool: the pool runs every iteration exactly
// once in fixed chunks; parallelize-loops marks only loops whose iterations
// write disjoint elements, so a W2-shaped step gives the same bits on 1, 2
// and 3 threads, in the JIT and in the interpreter.
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <thread>
#include <vector>

#include "frontend/Compile.h"
#include "ir/Error.h"
#include "ir/LoopParser.h"
#include "ir/LoopPrinter.h"
#include "passes/LoopAnalysis.h"
#include "passes/ParallelizeLoops.h"
#include "runtime/Rng.h"
#include "runtime/ThreadPool.h"

using namespace sigma;

namespace {

struct Counts {
  std::vector<std::atomic<int>> hits;
  explicit Counts(int64_t n) : hits(size_t(n)) {}
};

void countRange(void* ctx, int64_t begin, int64_t end) {
  auto* c = static_cast<Counts*>(ctx);
  for (int64_t i = begin; i < end; ++i) c->hits[size_t(i)].fetch_add(1);
}

// W2's network at a small batch (the forward matmuls still parallelize).
TrainingStep compileW2(int threads, Backend backend = Backend::JIT) {
  Regularizer reg = reg::l1(1e-5f) + reg::l2(5e-4f);
  nn::Sequential net{nn::Linear(784, 512, init::torch_default(), reg), nn::ReLU(),
                     nn::Linear(512, 256, init::torch_default(), reg), nn::ReLU(),
                     nn::Linear(256, 10, init::torch_default(), reg)};
  CompileOptions o{.batch = 16, .backend = backend};
  o.threads = threads;
  return compile(net, loss::cross_entropy(), optim::momentum({.lr = 0.01f, .momentum = 0.9f}), o);
}

std::vector<float> trainAndCollect(TrainingStep& step) {
  Rng rng(11);
  std::vector<float> x(16 * 784), y(16 * 10, 0.0f), out;
  for (float& v : x) v = float(rng.unit());
  for (int i = 0; i < 16; ++i) y[size_t(i * 10 + int(rng.below(10)))] = 1.0f;
  for (int s = 0; s < 3; ++s) {
    StepResult r = step.run(x, y);
    out.push_back(r.loss);
    for (const WeightStats& w : r.weights) out.insert(out.end(), {w.sum, w.abs_sum, w.sq_sum, w.max_abs, w.grad_sq_sum});
  }
  for (const std::string& p : step.parameterNames()) {
    std::span<const float> v = std::as_const(step).parameter(p);
    out.insert(out.end(), v.begin(), v.end());
  }
  return out;
}

bool sameBits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace

TEST(ThreadPool, RunsEveryIterationExactlyOnceInFixedChunks) {
  for (int threads : {1, 2, 3, 4})
    for (int64_t extent : {1, 2, 3, 7, 100, 1001}) {
      ThreadPool pool(threads);
      for (int repeat = 0; repeat < 20; ++repeat) {
        Counts c(extent);
        pool.run(countRange, &c, extent);
        for (int64_t i = 0; i < extent; ++i)
          ASSERT_EQ(c.hits[size_t(i)].load(), 1) << threads << " threads, extent " << extent << ", i " << i;
      }
      // Balanced chunks covering [0, extent) in order.
      const int64_t chunks = ThreadPool::chunkCount(threads, extent);
      EXPECT_EQ(chunks, std::min<int64_t>(4 * threads, extent));
      int64_t next = 0;
      for (int64_t k = 0; k < chunks; ++k) {
        auto [b, e] = ThreadPool::chunk(k, chunks, extent);
        EXPECT_EQ(b, next);
        EXPECT_GE(e - b, extent / chunks);
        EXPECT_LE(e - b, extent / chunks + 1);
        next = e;
      }
      EXPECT_EQ(next, extent);
    }
}

TEST(ThreadPool, RejectsZeroThreads) { EXPECT_THROW(ThreadPool(0), Error); }

TEST(ParallelLoops, AW2StepGivesTheSameBitsOnAnyNumberOfThreads) {
  TrainingStep one = compileW2(1), two = compileW2(2), three = compileW2(3);
  TrainingStep ref = compileW2(2, Backend::Interpreter);
  int parallel = 0;
  for (const loop::Kernel& k : two.loopModule().kernels)
    for (const loop::Stmt& s : topLevelStatements(k.body))
      if (const loop::For* f = loop::as<loop::For>(s); f && f->parallel) ++parallel;
  EXPECT_GE(parallel, 4) << "the matmuls' row-block loops should be parallel";
  // The first layer's fused update (inside its gradient matmul, with the
  // statistics summed in lanes per row) runs its row blocks in parallel too.
  int updateRows = 0;
  for (const loop::Kernel& k : two.loopModule().kernels)
    if (k.name == "weight_update_fc1.weight")
      for (const loop::Stmt& s : topLevelStatements(k.body))
        if (const loop::For* f = loop::as<loop::For>(s); f && f->parallel && f->var == "ib") ++updateRows;
  EXPECT_EQ(updateRows, 1);
  EXPECT_EQ(two.executable().threads(), 2);
  const std::vector<float> a = trainAndCollect(one);
  EXPECT_TRUE(sameBits(a, trainAndCollect(two)));
  EXPECT_TRUE(sameBits(a, trainAndCollect(three)));
  EXPECT_TRUE(sameBits(a, trainAndCollect(ref)));
}

TEST(ParallelLoops, OnlyLoopsWithDisjointWritesAreParallel) {
  loop::Module m = parseModule(R"(module @m {
  buffer %x : f32[65536] input
  buffer %y : f32[65536] output
  buffer %s : f32[1] output
  buffer %z : f32[65536] output
  kernel @rows {
    for %i in 0..256 {
      for %j in 0..256 {
        %y[%i * 256 + %j] = %x[%i * 256 + %j] * 2.0
      }
    }
  }
  kernel @sum {
    for %i in 0..65536 {
      %s[0] = %s[0] + %x[%i]
    }
  }
  kernel @overlap {
    for %i in 0..256 {
      for %j in 0..257 {
        %z[%i * %j] = %x[%i]
      }
    }
  }
  kernel @neighbour {
    for %i in 0..255 {
      for %j in 0..256 {
        %z[%i * 256 + %j] = %z[%i * 256 + %j + 256] + %x[%j]
      }
    }
  }
  kernel @small {
    for %i in 0..64 {
      %z[%i] = %x[%i]
    }
  }
})",
                                               "m.sl");
  auto loopOf = [&](size_t k) { return loop::as<loop::For>(topLevelStatements(m.kernels[k].body)[0]); };
  EXPECT_EQ(whyNotParallel(*loopOf(0)), "");
  EXPECT_NE(whyNotParallel(*loopOf(1)).find("a reduction"), std::string::npos);
  EXPECT_NE(whyNotParallel(*loopOf(2)).find("non-affine"), std::string::npos);
  // Each access alone is disjoint per iteration, but iteration i reads the
  // row that iteration i + 1 writes.
  EXPECT_NE(whyNotParallel(*loopOf(3)).find("may touch the same elements of %z"), std::string::npos)
      << whyNotParallel(*loopOf(3));
  EXPECT_NE(whyNotParallel(*loopOf(4)).find("too little work"), std::string::npos);
  std::vector<std::string> remarks;
  parallelizeLoops(m, remarks);
  const std::string text = printModule(m);
  EXPECT_NE(text.find("for %i in 0..256 parallel {"), std::string::npos) << text;
  // It prints and parses back the same.
  EXPECT_EQ(printModule(parseModule(text, "again.sl")), text);
}

// Matmul alone (issue 5's criterion: at least 80% of one core's measured FMA
// peak): the graph `c = matmul(a, b)` through Sigma's default pipeline and
// JIT, at 512×512×512 and at the W2 step's large shapes, in the three forms
// training uses, against oneDNN's and OpenBLAS's sgemm on the same operands.
//   matmul/<who>_<shape>  who: sigma, onednn, openblas (the last two only
//   where sigma-bench was built with them); shape, as M×N×K and form:
//     512          A·B    512×512×512
//     w2_fc1_fwd   A·Bᵀ   128×512×784   x·W1ᵀ (the first layer, forward)
//     w2_fc2_fwd   A·Bᵀ   128×256×512
//     w2_fc1_dw    Aᵀ·B   512×784×128   dYᵀ·x (the first layer's weight gradient)
//     w2_fc2_dw    Aᵀ·B   256×512×128
//     w2_fc2_dx    A·B    128×512×256   dY·W2 (the gradient into the first ReLU)
// One thread; GFLOP/s counts 2·M·N·K per call. Before timing, Sigma's
// product is checked against a double-precision reference.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "benchmarks/Bench.h"
#include "benchmarks/peers/Gemm.h"
#include "benchmarks/peers/PeerCommon.h"
#include "ir/Graph.h"
#include "passes/PassManager.h"
#include "runtime/Executable.h"

namespace sigma::bench {
namespace {

struct MatmulShape {
  const char* name;
  int m, n, k;
  bool transposeA, transposeB;
};

constexpr MatmulShape kShapes[] = {
    {"512", 512, 512, 512, false, false},       {"w2_fc1_fwd", 128, 512, 784, false, true},
    {"w2_fc2_fwd", 128, 256, 512, false, true}, {"w2_fc1_dw", 512, 784, 128, true, false},
    {"w2_fc2_dw", 256, 512, 128, true, false},  {"w2_fc2_dx", 128, 512, 256, false, false},
};

// Operands as stored: op(A) is M×K, so A is K×M when transposed.
Shape shapeOfA(const MatmulShape& s) { return s.transposeA ? Shape{s.k, s.m} : Shape{s.m, s.k}; }
Shape shapeOfB(const MatmulShape& s) { return s.transposeB ? Shape{s.n, s.k} : Shape{s.k, s.n}; }

std::vector<float> operand(int64_t size, uint64_t seed) {
  peers::Rng rng(seed);
  std::vector<float> v(size);
  for (float& x : v) x = rng.uniform(1.0);
  return v;
}

// C[i,j] in double, from the stored operands.
double reference(const MatmulShape& s, const std::vector<float>& a, const std::vector<float>& b, int i, int j) {
  double total = 0;
  for (int p = 0; p < s.k; ++p) {
    double x = s.transposeA ? a[size_t(p) * s.m + i] : a[size_t(i) * s.k + p];
    double y = s.transposeB ? b[size_t(j) * s.k + p] : b[size_t(p) * s.n + j];
    total += x * y;
  }
  return total;
}

struct SigmaMatmul {
  std::unique_ptr<Executable> exec;
  std::string error;
};

std::unique_ptr<SigmaMatmul> compileMatmul(const MatmulShape& s) {
  IRUnit unit;
  unit.graph.setName(std::string("matmul_") + s.name);
  Node* a = unit.graph.input("a", {DType::F32, shapeOfA(s)});
  Node* b = unit.graph.input("b", {DType::F32, shapeOfB(s)});
  unit.graph.addOutput("c", unit.graph.matmul(a, b, s.transposeA, s.transposeB));
  unit.target = LoweringTarget::host();  // as compile() lowers
  PassManager().run(unit, defaultPipeline());
  auto out = std::make_unique<SigmaMatmul>();
  out->exec = std::make_unique<Executable>(std::move(unit.loops));
  const std::vector<float> av = operand(int64_t(s.m) * s.k, 1), bv = operand(int64_t(s.k) * s.n, 2);
  std::copy(av.begin(), av.end(), out->exec->f32("a").begin());
  std::copy(bv.begin(), bv.end(), out->exec->f32("b").begin());
  out->exec->run();
  std::span<const float> c = out->exec->f32("c");
  for (int i = 0; i < s.m; i += 7)
    for (int j = 0; j < s.n; j += 5) {
      const double want = reference(s, av, bv, i, j), got = c[size_t(i) * s.n + j];
      if (std::fabs(got - want) > 1e-4 * std::sqrt(double(s.k))) {
        char text[160];
        std::snprintf(text, sizeof text, "matmul %s: c[%d,%d] = %.7g, the double-precision reference %.7g", s.name, i,
                      j, got, want);
        out->error = text;
        return out;
      }
    }
  return out;
}

void setRate(benchmark::State& state, const MatmulShape& s) {
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * s.m * s.n * s.k * 1e-9,
                                                 benchmark::Counter::kIsIterationInvariantRate);
}

void BM_Sigma(benchmark::State& state, int shape) {
  static std::unique_ptr<SigmaMatmul> compiled[std::size(kShapes)];
  const MatmulShape& s = kShapes[shape];
  if (!compiled[shape]) compiled[shape] = compileMatmul(s);
  if (!compiled[shape]->error.empty()) return state.SkipWithError(compiled[shape]->error.c_str());
  Executable& exec = *compiled[shape]->exec;
  for (auto _ : state) {
    exec.run();
    benchmark::ClobberMemory();
  }
  setRate(state, s);
}

void BM_Library(benchmark::State& state, peers::GemmLibrary library, int shape) {
  const MatmulShape& s = kShapes[shape];
  const std::vector<float> a = operand(int64_t(s.m) * s.k, 1), b = operand(int64_t(s.k) * s.n, 2);
  std::vector<float> c(size_t(s.m) * s.n);
  peers::setPeerThreads(1);
  for (auto _ : state) {
    peers::gemm(library, s.transposeA, s.transposeB, s.m, s.n, s.k, a.data(), b.data(), c.data());
    benchmark::ClobberMemory();
  }
  setRate(state, s);
}

}  // namespace

void registerMatmulBenchmarks() {
  for (int i = 0; i < int(std::size(kShapes)); ++i) {
    const std::string shape = kShapes[i].name;
    benchmark::RegisterBenchmark(("matmul/sigma_" + shape).c_str(), BM_Sigma, i)->Unit(benchmark::kMicrosecond);
    for (peers::GemmLibrary library : peers::availableGemmLibraries())
      benchmark::RegisterBenchmark(("matmul/" + std::string(peers::gemmName(library)) + "_" + shape).c_str(),
                                   BM_Library, library, i)
          ->Unit(benchmark::kMicrosecond);
  }
}

}  // namespace sigma::bench

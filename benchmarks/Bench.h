// sigma-bench's families, registered explicitly by Main.cpp (in this order:
// machine limits, W1, matmul, W2, W3, W4, W5, then the optional libtorch peers) rather than by
// static initializers, whose order across files is unspecified.
//
// Every family is single-threaded and measured in CPU time (Google
// Benchmark's default; its rate counters divide by it too): on a shared
// machine the wall clock also counts the time the process waited for a core,
// which says more about the neighbours than about the code. JSON output
// carries both, and scripts/bench-report.py shows both.
#pragma once

#include <string>
#include <vector>

namespace sigma::bench {

void registerMachineBenchmarks();  // MachineBench.cpp: machine/*
void registerW1Benchmarks();       // W1Bench.cpp: W1/*
void registerMatmulBenchmarks();   // MatmulBench.cpp: matmul/* (one matmul alone, vs oneDNN and OpenBLAS)
void registerW2Benchmarks();       // W2Bench.cpp: W2/*
void registerW3Benchmarks();       // W3Bench.cpp: W3/*
void registerW4Benchmarks();       // W4Bench.cpp: W4/* (compile time)
// W5Bench.cpp: W5/* (Fashion-MNIST, 10 epochs, seed 1, kW5Runs runs), and
// for each of `seeds` W5/sigma_fit/seed:N: the same recipe from another
// seed (weights and shuffles; one run), to show the spread of the accuracy.
void registerW5Benchmarks(const std::vector<int>& seeds);
// Runs of W5's seed-1 families, Sigma's and libtorch's: the report quotes
// their median, since one run of 7-15 s moves by ±5% with the neighbours'
// load on this shared machine, as much as a criterion's margin.
inline constexpr int kW5Runs = 3;
// LibtorchPeers.cpp, built only when CMake finds Torch (Debian's libtorch-dev):
// W1/libtorch_eager, W2/libtorch_eager, W3/libtorch_ops, W5/libtorch_eager
// (and W5/libtorch_eager/seed:N for each of `w5Seeds`). Returns the version
// for the report.
std::string registerLibtorchBenchmarks(const std::vector<int>& w5Seeds);

// sigma-bench's own flag --w5_seeds=2,3,4 (removed from argv before Google
// Benchmark reads it): the seeds of the extra W5 rows; none without it.
// Throws std::invalid_argument naming the bad value.
std::vector<int> takeW5Seeds(int& argc, char** argv);

// What the JIT compiles for ("x86_64 znver3 +avx2,..."), from W1's compiled step.
std::string jitTargetDescription();

}  // namespace sigma::bench

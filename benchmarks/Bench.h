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

namespace sigma::bench {

void registerMachineBenchmarks();  // MachineBench.cpp: machine/*
void registerW1Benchmarks();       // W1Bench.cpp: W1/*
void registerMatmulBenchmarks();   // MatmulBench.cpp: matmul/* (one matmul alone, vs oneDNN and OpenBLAS)
void registerW2Benchmarks();       // W2Bench.cpp: W2/*
void registerW3Benchmarks();       // W3Bench.cpp: W3/*
void registerW4Benchmarks();       // W4Bench.cpp: W4/* (compile time)
void registerW5Benchmarks();       // W5Bench.cpp: W5/* (Fashion-MNIST, 10 epochs, one run)
// LibtorchPeers.cpp, built only when CMake finds Torch (Debian's libtorch-dev):
// W1/libtorch_eager, W3/libtorch_ops. Returns the version for the report.
std::string registerLibtorchBenchmarks();

// What the JIT compiles for ("x86_64 znver3 +avx2,..."), from W1's compiled step.
std::string jitTargetDescription();

}  // namespace sigma::bench

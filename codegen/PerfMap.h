// Naming JIT code for profilers: Linux perf's map file.
//
// `perf record` sees the JIT's code as anonymous memory and reports it as
// [unknown]. perf (and tools that read its format, e.g. hotspot) also read
// /tmp/perf-<pid>.map, one line per symbol, "<start hex> <size hex> <name>",
// and name samples from it. With it, `perf report` splits a training
// step's time by kernel (each kernel is a function of its own, never
// inlined: codegen/JitModule.h), the way it splits a native program's.
//
// Writing the map is off by default (the file grows with every compile and
// is never cleaned up); it is on when CodegenOptions::perfMap is set or the
// environment has SIGMA_PERF_MAP=1. Every function the JIT links is listed,
// named "sigma:<module>:<function>"; the file is opened in append mode and
// each compile writes its lines in one write, so that threads and modules
// compiling at once do not interleave lines.
// Internal to codegen/: includes LLVM headers.
#pragma once

#include <string>

#include <llvm/ExecutionEngine/Orc/LLJIT.h>

namespace sigma::codegen {

// Whether SIGMA_PERF_MAP=1 is set.
bool perfMapRequestedByEnvironment();

// /tmp/perf-<pid>.map for this process.
std::string perfMapPath();

// Makes every object `jit` links afterwards append its functions to
// perfMapPath(). Throws sigma::Error if the JIT does not link with JITLink
// (the only linker whose symbol table this reads).
void writePerfMapOnLink(llvm::orc::LLJIT& jit, const std::string& moduleName);

}  // namespace sigma::codegen

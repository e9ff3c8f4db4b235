// What identifies the code generator: both go into every object-cache key
// (codegen/CompileCache.h), so that an object compiled by another Sigma, or
// by this tree before its code generator changed, is never linked.
#pragma once

namespace sigma::codegen {

// CMake's project(VERSION), e.g. "0.1.0".
const char* sigmaVersion();

// A SHA-256 (hex) of the sources that decide the machine code made for a
// loop-IR module: codegen/*.{h,cpp} and the ir/ files they include
// (CMakeLists.txt lists them and fails to configure when one is missing).
// Generated at build time by cmake/CodegenFingerprint.cmake, and rebuilt
// whenever one of them changes: editing the emitter or the optimizer's
// tuning invalidates every cached object, with no version to bump.
const char* codegenFingerprint();

// The same over the sources that decide what loop IR the pipeline makes of
// a training graph: passes/*, ir/*, the interpreter (constant folding runs
// it), frontend/Compile.cpp, PipelineCache.cpp, TrainingLoop.cpp and
// TrainingGraph.{h,cpp}. It keys the pipeline cache (frontend/PipelineCache.h).
const char* pipelineFingerprint();

}  // namespace sigma::codegen

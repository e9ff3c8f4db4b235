// The vector instruction set Sigma compiles for: the host's best (AVX-512
// where the CPU has it, else AVX2), or at most AVX2, so that the AVX2 code
// (8-lane vectors, 16 ymm registers) runs, and is tested and measured, on an
// AVX-512 host too. Lowering (the matmul register block: passes/
// LowerToLoops.h) and code generation (the JIT's CPU features: codegen/
// Target.h) both follow it; only speed depends on it, never a result.
#pragma once

#include <cstdint>

namespace sigma {

enum class VectorIsa : uint8_t {
  Host,  // everything the host has
  Avx2,  // the host's features without AVX-512 (an error where it lacks AVX2 or FMA)
};

// What the environment asks for: SIGMA_TARGET=avx2 caps the process at AVX2;
// unset, empty or "host" leaves the host's. Any other value is an error
// naming it (sigma::Error).
VectorIsa vectorIsaFromEnvironment();

// The stricter of an explicit choice and the environment's.
inline VectorIsa effectiveVectorIsa(VectorIsa requested) {
  return requested == VectorIsa::Avx2 ? VectorIsa::Avx2 : vectorIsaFromEnvironment();
}

}  // namespace sigma

// The vector ISAs this host runs natively, for the tests that check JIT code
// against the interpreter: the host's own, and AVX2 as well where the host
// has AVX-512 (code generation then turns AVX-512 off: ir/VectorIsa.h), so
// that an AVX-512 host runs both widths' code, not only its own.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "codegen/JitModule.h"
#include "ir/VectorIsa.h"

namespace sigma::hostisas {

inline std::string targetOf(VectorIsa isa) {
  return codegen::JitModule::compile(loop::Module{}, {.isa = isa})->targetDescription();
}

// f32 lanes of the widest vectors the JIT's code uses for `isa` here.
inline int64_t lanesOf(VectorIsa isa) {
  const std::string target = targetOf(isa);
  return target.find("+avx512f") != std::string::npos ? 16 : target.find("+avx") != std::string::npos ? 8 : 4;
}

inline std::vector<VectorIsa> hostIsas() {
  const std::string host = targetOf(VectorIsa::Host);
  const bool has = [&] {
    for (const char* f : {"+avx512f", "+avx2", "+fma"})
      if (host.find(f) == std::string::npos) return false;
    return true;
  }();
  if (has) return {VectorIsa::Host, VectorIsa::Avx2};
  return {VectorIsa::Host};
}

inline std::string isaName(VectorIsa isa) { return isa == VectorIsa::Avx2 ? "avx2" : "host"; }

}  // namespace sigma::hostisas

// Shared by the code generator's tests (CodegenTest.cpp, CodegenModuleTest.cpp):
// storage for a module's buffers, running a module through the JIT and the
// interpreter, bitwise comparison, and small modules to run.
#pragma once

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "codegen/JitModule.h"
#include "ir/Error.h"
#include "ir/LoopIR.h"
#include "runtime/Interpreter.h"
#include "HostIsas.h"

namespace sigma::codegentest {

using namespace sigma::loop;
using sigma::codegen::JitModule;

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr int32_t kI32Max = std::numeric_limits<int32_t>::max();
constexpr int64_t kI64Min = std::numeric_limits<int64_t>::min();

// f32 values that exercise every corner of IEEE arithmetic and of libm.
inline const std::vector<float> kSpecials = {0.0f, -0.0f, 1.0f, -1.0f, 0.5f, -2.5f, 3.0f, 1e-40f, -1e-40f,
                                      std::numeric_limits<float>::min(), std::numeric_limits<float>::max(),
                                      -std::numeric_limits<float>::max(), 88.7f, -104.0f, 1e-7f, 20.0f,
                                      kInf, -kInf, kNaN, -kNaN, 3.14159265f};

// Storage for every buffer of a module, 8-byte aligned, filled
// deterministically: random values for f32/i32/i64, then what a test sets.
class Storage {
 public:
  explicit Storage(const Module& m, uint32_t seed = 1) : module_(&m) {
    for (const Buffer& b : m.buffers) {
      data_.emplace_back((size_t(b.size) * size_t(loop::elementBytes(b.type)) + 7) / 8 + 1);
      for (int64_t i = 0; i < b.size; ++i) {
        seed = seed * 1664525u + 1013904223u;
        int32_t r = int32_t(seed >> 8) % 1000;  // -999..999
        if (b.type == ScalarType::F32) f32(b.name)[i] = float(r) / 250.0f;
        if (b.type == ScalarType::I32) i32(b.name)[i] = r;
        if (b.type == ScalarType::I64) i64(b.name)[i] = int64_t(r) * 1000003;
      }
    }
  }

  float* f32(const std::string& name) { return static_cast<float*>(raw(name)); }
  int32_t* i32(const std::string& name) { return static_cast<int32_t*>(raw(name)); }
  int64_t* i64(const std::string& name) { return static_cast<int64_t*>(raw(name)); }
  const float* f32(const std::string& name) const { return const_cast<Storage*>(this)->f32(name); }

  template <typename T>
  void set(const std::string& name, const std::vector<T>& values) {
    const Buffer* b = module_->findBuffer(name);
    ASSERT_TRUE(b) << name;
    ASSERT_EQ(int64_t(values.size()), b->size) << name;
    std::memcpy(raw(name), values.data(), values.size() * sizeof(T));
  }

  // buffers[i] for the entry point; const buffers get null (neither backend
  // may read them: both take the values from Buffer::init).
  std::vector<void*> pointers() {
    std::vector<void*> p;
    for (size_t i = 0; i < data_.size(); ++i)
      p.push_back(module_->buffers[i].kind == BufferKind::Constant ? nullptr : data_[i].data());
    return p;
  }

  const void* raw(size_t i) const { return data_[i].data(); }

 private:
  void* raw(const std::string& name) {
    int i = module_->bufferIndex(name);
    if (i < 0) throw Error("test: no buffer " + name);
    return data_[size_t(i)].data();
  }
  const Module* module_;
  std::vector<std::vector<int64_t>> data_;
};

inline std::string describe(ScalarType t, const void* p) {
  switch (t) {
    case ScalarType::F32: {
      float f;
      std::memcpy(&f, p, 4);
      return fmt::format("{} (0x{:08x})", f, std::bit_cast<uint32_t>(f));
    }
    case ScalarType::I32: return std::to_string(*static_cast<const int32_t*>(p));
    case ScalarType::I64: return std::to_string(*static_cast<const int64_t*>(p));
    case ScalarType::Bool: return std::to_string(int(*static_cast<const uint8_t*>(p)));
  }
  return "?";
}

// Every element of every buffer, compared bitwise.
inline void expectIdentical(const Module& m, const Storage& jit, const Storage& reference, const std::string& what = "") {
  int mismatches = 0;
  for (size_t i = 0; i < m.buffers.size(); ++i) {
    const Buffer& b = m.buffers[i];
    size_t w = size_t(loop::elementBytes(b.type));
    for (int64_t e = 0; e < b.size; ++e) {
      const char* x = static_cast<const char*>(jit.raw(i)) + e * w;
      const char* y = static_cast<const char*>(reference.raw(i)) + e * w;
      if (std::memcmp(x, y, w) == 0) continue;
      if (++mismatches <= 8)
        ADD_FAILURE() << what << " buffer " << b.name << "[" << e << "]: jit " << describe(b.type, x)
                      << ", interpreter " << describe(b.type, y);
    }
  }
  EXPECT_EQ(mismatches, 0) << what;
}

struct Results {
  Storage jit, reference;
};

inline Results runBoth(const Module& m, const Storage& input, int optLevel = 3, VectorIsa isa = VectorIsa::Host) {
  Results r{input, input};
  auto jit = JitModule::compile(m, {.optLevel = optLevel, .isa = isa});
  jit->entry()(r.jit.pointers().data());
  interpret(m, r.reference.pointers().data());
  return r;
}

// The JIT's code for every ISA this host runs (its own, and AVX2 on an
// AVX-512 host: HostIsas.h) against the interpreter.
inline void checkAgainstInterpreter(const Module& m, const Storage& input, int optLevel = 3) {
  for (VectorIsa isa : hostisas::hostIsas()) {
    Results r = runBoth(m, input, optLevel, isa);
    expectIdentical(m, r.jit, r.reference, "O" + std::to_string(optLevel) + " on " + hostisas::isaName(isa));
  }
}

// ------------------------------------------------------------ IR building

inline Buffer buffer(std::string name, ScalarType type, int64_t size, BufferKind kind = BufferKind::Temp) {
  Buffer b;
  b.name = std::move(name), b.type = type, b.size = size, b.kind = kind;
  return b;
}

inline Expr v(const std::string& name) { return Var::make(name); }
inline Expr load(const std::string& buf, ScalarType t, Expr index) { return Load::make(buf, t, std::move(index)); }
inline Expr lf(const std::string& buf, Expr index) { return load(buf, ScalarType::F32, std::move(index)); }
inline Expr un(UnaryOp op, Expr a) { return Unary::make(op, std::move(a)); }
inline Expr bin(BinaryOp op, Expr a, Expr b) { return Binary::make(op, std::move(a), std::move(b)); }

// kernel `name`: for i in 0..n { out[i] = value(i) }
inline Kernel elementwise(const std::string& name, const std::string& out, int64_t n, Expr value) {
  return Kernel{name, {}, For::make("i", n, Store::make(out, v("i"), std::move(value)))};
}

// out[i*n+j] = sum_k a[i*k+kk] * b[kk*n+j], with an accumulating store.
inline Module matmulModule(int64_t M, int64_t N, int64_t K) {
  Module m;
  m.name = "matmul";
  m.buffers = {buffer("a", ScalarType::F32, M * K, BufferKind::Input),
               buffer("b", ScalarType::F32, K * N, BufferKind::Parameter),
               buffer("c", ScalarType::F32, M * N, BufferKind::Output)};
  Expr ci = v("i") * i64(N) + v("j");
  Stmt init = Store::make("c", ci, f32(0.0f));
  Stmt acc = Store::make("c", ci, lf("c", ci) + lf("a", v("i") * i64(K) + v("k")) * lf("b", v("k") * i64(N) + v("j")));
  Stmt body = Block::make({init, For::make("k", K, acc)});
  m.kernels.push_back(Kernel{"matmul_3", {"matmul"}, For::make("i", M, For::make("j", N, body))});
  return m;
}

// Four kernels, each reading what an earlier one wrote, with a const
// buffer, an in-place state update and a reduction.
inline Module pipelineModule(int64_t n) {
  Module m;
  m.name = "pipeline";
  Buffer scale = buffer("scale", ScalarType::F32, n, BufferKind::Constant);
  for (int64_t i = 0; i < n; ++i) scale.init.push_back(0.25f * float(i % 7) - 0.5f);
  m.buffers = {buffer("x", ScalarType::F32, n, BufferKind::Input), scale, buffer("t", ScalarType::F32, n),
               buffer("y", ScalarType::F32, n, BufferKind::Output), buffer("s", ScalarType::F32, 1, BufferKind::Output),
               buffer("w", ScalarType::F32, n, BufferKind::State)};
  Expr i = v("i");
  m.kernels.push_back(elementwise("affine_0", "t", n, lf("x", i) * lf("scale", i) + f32(1.0f)));
  m.kernels.push_back(elementwise("tanh_1", "y", n, un(UnaryOp::Tanh, lf("t", i)) * un(UnaryOp::Exp, lf("t", i))));
  m.kernels.push_back(Kernel{"sum_2", {}, Block::make({Store::make("s", i64(0), f32(0.0f)),
                                                      For::make("i", n, Store::make("s", i64(0), lf("s", i64(0)) + lf("y", i)))})});
  m.kernels.push_back(elementwise("update_3", "w", n, lf("w", i) - f32(0.1f) * lf("y", i) * lf("s", i64(0))));
  return m;
}


}  // namespace sigma::codegentest

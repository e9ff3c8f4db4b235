// The matmul register block follows the host (passes/LowerToLoops.h:
// LoweringTarget), so the bits must not: the same graph lowered for AVX2's
// and for AVX-512's register file, each through the default pipeline and
// the JIT, gives identical results, and both equal the interpreter's; so
// does splitting k into chunks for an L2 smaller than B.
#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <string>
#include <vector>

#include "passes/PassManager.h"
#include "runtime/Executable.h"
#include "runtime/Rng.h"

using namespace sigma;

namespace {

constexpr LoweringTarget kAvx2{}, kAvx512{.vectorRegisters = 32, .vectorLanes = 16};
// A 4 KiB L2: every product here with more than one row block reads more
// than 2 KiB of B per block, so its k is split (x·wᵀ's 40 into 5 chunks of 8,
// dy·w's 64, 12 of whose rows of B fit, into 5 × 11 + 9).
constexpr LoweringTarget kAvx2Chunks{.l2Bytes = 4096}, kAvx512Chunks{.vectorRegisters = 32, .vectorLanes = 16, .l2Bytes = 4096};

// The three forms training uses, at shapes where the two targets block
// differently (8×32 against 4×16; 40 columns, one ymm wide, take 8 rows and
// 16 columns, one zmm wide, 16 rows; 48 columns, which only one zmm
// divides, are two zmm wide but for a one-zmm tail, read in place and
// packed), plus a narrow output (10 columns) and a row count only 2
// divides; bias + ReLU after the first, as a Linear layer.
void buildGraph(Graph& g) {
  Node* x = g.input("x", {DType::F32, {24, 40}});
  Node* w = g.input("w", {DType::F32, {64, 40}});
  Node* b = g.input("b", {DType::F32, {64}});
  Node* dy = g.input("dy", {DType::F32, {24, 64}});
  Node* v = g.input("v", {DType::F32, {64, 10}});
  Node* odd = g.input("odd", {DType::F32, {6, 40}});
  Node* p = g.input("p", {DType::F32, {32, 40}});
  Node* q = g.input("q", {DType::F32, {40, 48}});
  Node* qt = g.input("qt", {DType::F32, {48, 40}});
  Node* s = g.input("s", {DType::F32, {40, 16}});
  Node* h = g.binary(Op::Maximum, g.binary(Op::Add, g.matmul(x, w, false, true), g.broadcast(b, {24, 64})),
                     g.scalar(0.0f));
  g.addOutput("h", h);                                  // A·Bᵀ
  g.addOutput("dw", g.matmul(dy, x, true, false));      // Aᵀ·B
  g.addOutput("dx", g.matmul(dy, w));                   // A·B
  g.addOutput("narrow", g.matmul(h, v));                // 24×10
  g.addOutput("odd_rows", g.matmul(odd, w, false, true));  // 6 rows: blocks of 2
  g.addOutput("tail", g.matmul(p, q));                      // 48 columns: 32 + a tail of 16
  g.addOutput("packed_tail", g.matmul(p, qt, false, true));  // the same with B packed
  g.addOutput("one_vector", g.matmul(p, s));                 // 16 columns: one zmm wide
}

std::unique_ptr<Executable> lowered(const LoweringTarget& target, Backend backend, std::string* ir = nullptr,
                                    VectorIsa isa = VectorIsa::Host) {
  IRUnit unit;
  buildGraph(unit.graph);
  unit.target = target;
  PassManager().run(unit, defaultPipeline());
  if (ir) *ir = unit.text();
  auto exec = std::make_unique<Executable>(std::move(unit.loops), ExecutableOptions{.backend = backend, .isa = isa});
  for (const char* name : {"x", "w", "b", "dy", "v", "odd", "p", "q", "qt", "s"}) {
    Rng rng(std::hash<std::string>{}(name));
    for (float& value : exec->f32(name)) value = float(rng.uniform(1.0));
  }
  exec->run();
  return exec;
}

void expectSameBits(Executable& a, Executable& b, const std::string& what) {
  for (const char* out : {"h", "dw", "dx", "narrow", "odd_rows", "tail", "packed_tail", "one_vector"}) {
    std::span<const float> x = a.f32(out), y = b.f32(out);
    ASSERT_EQ(x.size(), y.size());
    for (size_t i = 0; i < x.size(); ++i)
      ASSERT_EQ(std::bit_cast<uint32_t>(x[i]), std::bit_cast<uint32_t>(y[i])) << what << ": " << out << "[" << i << "]";
  }
}

TEST(LoweringTarget, BlocksForTheRegisterFile) {
  std::string avx2, avx512;
  lowered(kAvx2, Backend::Interpreter, &avx2);
  lowered(kAvx512, Backend::Interpreter, &avx512);
  EXPECT_NE(avx2.find("for %r in 0..4 {"), std::string::npos);   // two ymm wide: 4 rows
  EXPECT_NE(avx2.find("for %r in 0..8 {"), std::string::npos);   // one ymm wide (40 columns): 8 rows
  EXPECT_EQ(avx2.find("for %r in 0..16 {"), std::string::npos);  // 16 rows would be 16 of 16 registers
  EXPECT_NE(avx512.find("for %r in 0..8 {"), std::string::npos);
  EXPECT_NE(avx512.find("for %c in 0..32 {"), std::string::npos);
  EXPECT_NE(avx512.find("for %r in 0..16 {"), std::string::npos);  // one zmm wide (16 columns): 16 rows
  EXPECT_NE(avx512.find("for %ct in 0..16 {"), std::string::npos);  // the tail of 48 columns
  EXPECT_EQ(avx2.find("for %ct in"), std::string::npos);  // 4 rows: too few FMA chains for a tail
  EXPECT_EQ(avx512.find("(%k + "), std::string::npos);  // no L2 given: k in one piece
  std::string chunked;
  lowered(kAvx512Chunks, Backend::Interpreter, &chunked);
  EXPECT_NE(chunked.find("%x[(%ib * 8 + %r) * 40 + (%k + 32)]"), std::string::npos);  // x·wᵀ's last chunk
  EXPECT_NE(chunked.find("%w[(%k + 55) * 40 + (%jb * 8 + %c)]"), std::string::npos);   // dy·w's last chunk
}

TEST(LoweringTarget, BlockingNeverChangesTheBits) {
  auto reference = lowered(kAvx2, Backend::Interpreter);
  for (const LoweringTarget& target : {kAvx2, kAvx512, kAvx2Chunks, kAvx512Chunks}) {
    const std::string what = std::string(target.vectorRegisters == 32 ? "avx512" : "avx2") + (target.l2Bytes ? " in k chunks" : "");
    auto jit = lowered(target, Backend::JIT);
    expectSameBits(*jit, *reference, what + " JIT against the interpreter");
    auto interpreted = lowered(target, Backend::Interpreter);
    expectSameBits(*interpreted, *reference, what + " interpreted against avx2 interpreted");
  }
  // AVX2's blocks in AVX2 code (ymm registers, the 16-register budget), run
  // natively where the host has AVX-512 too (ir/VectorIsa.h).
  auto avx2 = lowered(LoweringTarget::host(VectorIsa::Avx2), Backend::JIT, nullptr, VectorIsa::Avx2);
  expectSameBits(*avx2, *reference, "avx2 blocks in AVX2 code against the interpreter");
}

TEST(LoweringTarget, TheHostTargetFollowsTheIsa) {
  EXPECT_EQ(LoweringTarget::host(VectorIsa::Avx2).vectorLanes, 8);
  EXPECT_EQ(LoweringTarget::host(VectorIsa::Avx2).vectorRegisters, 16);
#if defined(__x86_64__)
  const bool wide = __builtin_cpu_supports("avx512f") && vectorIsaFromEnvironment() == VectorIsa::Host;
  const LoweringTarget host = LoweringTarget::host();
  EXPECT_EQ(host.vectorLanes, wide ? 16 : 8);
  EXPECT_EQ(host.vectorRegisters, wide ? 32 : 16);
#endif
}

// A product over k = 0 is all zeros, for any block and any L2: its one
// chunk zeroes C (which holds 7s before the step, so a C left unwritten
// shows).
TEST(LoweringTarget, AnEmptyKGivesZeros) {
  for (const LoweringTarget& target : {kAvx2, kAvx512, kAvx512Chunks})
    for (Backend backend : {Backend::JIT, Backend::Interpreter}) {
      IRUnit unit;
      Node* a = unit.graph.input("a", {DType::F32, {32, 0}});
      Node* b = unit.graph.input("b", {DType::F32, {0, 64}});
      unit.graph.addOutput("c", unit.graph.matmul(a, b));
      unit.target = target;
      PassManager().run(unit, defaultPipeline());
      Executable exec(std::move(unit.loops), ExecutableOptions{.backend = backend});
      for (float& v : exec.f32("c")) v = 7.0f;
      exec.run();
      for (float v : exec.f32("c")) ASSERT_EQ(std::bit_cast<uint32_t>(v), 0u) << target.l2Bytes;
    }
}

}  // namespace

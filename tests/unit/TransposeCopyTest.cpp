// Transpose copies (codegen/TransposeCopy.h): which loop nests are matched,
// the in-register transpose at every width, and the JIT's tiles against the
// interpreter's element-by-element copy, bit for bit.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "codegen/JitModule.h"
#include "codegen/TransposeCopy.h"
#include "HostIsas.h"
#include "ir/LoopIR.h"
#include "runtime/Interpreter.h"

using namespace sigma;
using namespace sigma::loop;
using sigma::codegen::matchTransposeCopy;

namespace {

Expr v(const std::string& name) { return Var::make(name); }

// for u in 0..U { for w in 0..V { dst[(base + u)·su + w] = src[(w)·lv + u] } }, inside `jb` when it is given.
Stmt copyNest(int64_t U, int64_t V, Expr storeIndex, Expr loadIndex, const std::string& dst = "dst",
              const std::string& src = "src") {
  return For::make("u", U, For::make("w", V, Store::make(dst, std::move(storeIndex),
                                                         Load::make(src, ScalarType::F32, std::move(loadIndex)))));
}

const For& asFor(const Stmt& s) { return *as<For>(s); }

TEST(TransposeCopy, MatchesTheMatmulPackingOfBTransposed) {
  // The packing of Bᵀ (passes/LowerToLoops.cpp): packed[(jb·K + k)·NR + c] = B[(jb·NR + c)·K + k].
  const int64_t K = 64, NR = 32;
  Stmt pack = copyNest(K, NR, (v("jb") * i64(K) + v("u")) * i64(NR) + v("w"), (v("jb") * i64(NR) + v("w")) * i64(K) + v("u"));
  for (int64_t lanes : {4, 8, 16, 32}) {
    auto copy = matchTransposeCopy(asFor(pack), lanes);
    ASSERT_TRUE(copy) << lanes;
    EXPECT_EQ(copy->outer, "u");
    EXPECT_EQ(copy->inner, "w");
    EXPECT_EQ(copy->outerExtent, K);
    EXPECT_EQ(copy->innerExtent, NR);
  }
  EXPECT_FALSE(matchTransposeCopy(asFor(pack), 64)) << "NR = 32 is not a multiple of 64 lanes";
}

TEST(TransposeCopy, LeavesEverythingElseToTheGeneralEmitter) {
  const Expr store = v("u") * i64(16) + v("w"), load = v("w") * i64(16) + v("u");
  EXPECT_TRUE(matchTransposeCopy(asFor(copyNest(16, 16, store, load)), 8));
  EXPECT_FALSE(matchTransposeCopy(asFor(copyNest(12, 16, store, load)), 8)) << "U not a multiple of the lanes";
  EXPECT_FALSE(matchTransposeCopy(asFor(copyNest(16, 16, v("u") * i64(8) + v("w"), load)), 8))
      << "rows of stores overlap: the order would matter";
  EXPECT_FALSE(matchTransposeCopy(asFor(copyNest(16, 16, store, v("u") * i64(16) + v("w"))), 8)) << "a plain copy";
  EXPECT_FALSE(matchTransposeCopy(asFor(copyNest(16, 16, store, v("w") * i64(16) + v("u") * i64(2))), 8))
      << "loads strided in u";
  EXPECT_FALSE(matchTransposeCopy(asFor(copyNest(16, 16, store, load, "dst", "dst")), 8)) << "in place";
  EXPECT_FALSE(matchTransposeCopy(
      asFor(copyNest(16, 16, store, Load::make("idx", ScalarType::I64, v("w")) * i64(16) + v("u"))), 8))
      << "an index that is not affine";
  Stmt scaled = For::make("u", 16, For::make("w", 16, Store::make("dst", store, Load::make("src", ScalarType::F32, load) * f32(2))));
  EXPECT_FALSE(matchTransposeCopy(asFor(scaled), 8)) << "not a pure copy";
  Stmt twoStores = For::make("u", 16, For::make("w", 16, Block::make({Store::make("dst", store, Load::make("src", ScalarType::F32, load)),
                                                                     Store::make("dst", store, f32(0))})));
  EXPECT_FALSE(matchTransposeCopy(asFor(twoStores), 8));
}

// The rounds of shuffles, run on arrays: every width.
TEST(TransposeCopy, InRegisterTransposeAtEveryWidth) {
  for (int lanes : {2, 4, 8, 16, 32}) {
    std::vector<std::vector<float>> rows(size_t(lanes), std::vector<float>(size_t(lanes), 0.0f));
    for (int i = 0; i < lanes; ++i)
      for (int j = 0; j < lanes; ++j) rows[size_t(i)][size_t(j)] = float(i * 100 + j);
    const auto rounds = codegen::transposeRounds(lanes);
    EXPECT_EQ(1 << rounds.size(), lanes);
    for (const codegen::TransposeRound& round : rounds)
      for (int i = 0; i < lanes; ++i) {
        if (i & round.distance) continue;
        const std::vector<float> a = rows[size_t(i)], c = rows[size_t(i + round.distance)];
        auto pick = [&](int m) { return m < lanes ? a[size_t(m)] : c[size_t(m - lanes)]; };
        for (int j = 0; j < lanes; ++j) {
          rows[size_t(i)][size_t(j)] = pick(round.low[size_t(j)]);
          rows[size_t(i + round.distance)][size_t(j)] = pick(round.high[size_t(j)]);
        }
      }
    for (int i = 0; i < lanes; ++i)
      for (int j = 0; j < lanes; ++j) ASSERT_EQ(rows[size_t(i)][size_t(j)], float(j * 100 + i)) << lanes << ": " << i << "," << j;
  }
}

Buffer f32Buffer(std::string name, int64_t size, BufferKind kind) {
  Buffer b;
  b.name = std::move(name), b.type = ScalarType::F32, b.size = size, b.kind = kind;
  return b;
}

// src (V·U floats, numbered) transposed into dst by the JIT and by the
// interpreter: the same bits, including the elements the copy leaves alone.
void checkAgainstInterpreter(int64_t outer, int64_t U, int64_t V, bool expectTiles, VectorIsa isa) {
  const int64_t rowGap = V + 3;  // dst rows further apart than V: elements the copy must not touch
  Module m;
  m.name = "transpose";
  m.buffers = {f32Buffer("src", outer * U * V, BufferKind::Input),
               f32Buffer("dst", outer * U * rowGap, BufferKind::Output)};
  Expr store = (v("jb") * i64(U) + v("u")) * i64(rowGap) + v("w");
  Expr load = (v("jb") * i64(V) + v("w")) * i64(U) + v("u");
  m.kernels.push_back(Kernel{"pack_0", {}, For::make("jb", outer, copyNest(U, V, store, load))});

  std::vector<float> src(size_t(outer * U * V)), jitDst(size_t(outer * U * rowGap), -1.0f), refDst = jitDst;
  for (size_t i = 0; i < src.size(); ++i) src[i] = float(i) * 0.5f - 7.0f;
  auto jit = codegen::JitModule::compile(m, {.isa = isa});
  void* jitBuffers[] = {src.data(), jitDst.data()};
  jit->entry()(jitBuffers);
  void* refBuffers[] = {src.data(), refDst.data()};
  interpret(m, refBuffers);
  EXPECT_EQ(std::memcmp(jitDst.data(), refDst.data(), jitDst.size() * sizeof(float)), 0)
      << outer << "x" << U << "x" << V << " on " << hostisas::isaName(isa);
  for (int64_t u = 0; u < U; ++u)
    for (int64_t w = 0; w < V; ++w)
      ASSERT_EQ(refDst[size_t(u * rowGap + w)], src[size_t(w * U + u)]);
  const bool tiles = jit->unoptimizedLLVMIR().find("shufflevector") != std::string::npos;
  EXPECT_EQ(tiles, expectTiles) << U << "x" << V << " on " << hostisas::isaName(isa);
}

TEST(TransposeCopy, JitTilesMatchTheInterpreter) {
  // Each ISA's lanes: 16 with AVX-512, 8 with AVX2 (natively on an AVX-512
  // host too: HostIsas.h).
  for (VectorIsa isa : hostisas::hostIsas()) {
    const int64_t lanes = hostisas::lanesOf(isa);
    checkAgainstInterpreter(2, 4 * lanes, 2 * lanes, true, isa);  // the matmul packing's shape: several tiles, an outer loop
    checkAgainstInterpreter(1, lanes, lanes, true, isa);
    checkAgainstInterpreter(3, 5 * lanes, lanes, true, isa);
    checkAgainstInterpreter(2, lanes + 4, lanes, false, isa);  // remainders: element by element
    checkAgainstInterpreter(1, 7, 5, false, isa);
  }
}

}  // namespace

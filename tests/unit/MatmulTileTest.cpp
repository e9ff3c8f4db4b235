// Matmul micro-kernels (codegen/MatmulTile.h): which loop nests are matched,
// and the JIT's register blocks against the interpreter's element-by-element
// fmas, bit for bit, in the loop orders the lowering and the fusion passes
// make and in one LLVM alone used to turn into gathers.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "codegen/JitModule.h"
#include "codegen/MatmulTile.h"
#include "HostIsas.h"
#include "ir/LoopIR.h"
#include "runtime/Interpreter.h"

using namespace sigma;
using namespace sigma::loop;
using sigma::codegen::matchMatmulTile;
using sigma::codegen::zeroesTileBlock;

namespace {

Expr v(const std::string& name) { return Var::make(name); }
Expr load(const std::string& buffer, Expr index) { return Load::make(buffer, ScalarType::F32, std::move(index)); }

// for k in 0..K { for r in 0..MR { for c in 0..NR { C[ci] = fma(a, B[bi], C[ci]) } } }
Stmt tileNest(int64_t K, int64_t MR, int64_t NR, const Expr& ci, const Expr& a, const Expr& bi,
              const std::string& b = "b") {
  return For::make("k", K, For::make("r", MR, For::make("c", NR,
      Store::make("cm", ci, MulAdd::make(a, load(b, bi), load("cm", ci))))));
}

const For& asFor(const Stmt& s) { return *as<For>(s); }

// The lowering's block of C = A·B (passes/LowerToLoops.cpp) for an M×N
// product over K, at block (ib, jb), with B packed in panels of NR.
struct Shape {
  int64_t M, N, K, MR, NR;
  Expr cIndex() const { return (v("ib") * i64(MR) + v("r")) * i64(N) + (v("jb") * i64(NR) + v("c")); }
  Expr aIndex() const { return (v("ib") * i64(MR) + v("r")) * i64(K) + v("k"); }
  Expr bIndex() const { return (v("jb") * i64(K) + v("k")) * i64(NR) + v("c"); }
  Stmt tile(const Expr& a) const { return tileNest(K, MR, NR, cIndex(), a, bIndex()); }
  Stmt tile() const { return tile(load("a", aIndex())); }
};

TEST(MatmulTile, MatchesTheLoweringsRegisterBlock) {
  const Shape s{128, 512, 784, 8, 32};  // AVX-512's block: 8×32, 16 accumulators
  for (int64_t lanes : {16, 32}) {
    auto tile = matchMatmulTile(asFor(s.tile()), lanes);
    ASSERT_TRUE(tile) << lanes;
    EXPECT_EQ(tile->k, "k");
    EXPECT_EQ(tile->row, "r");
    EXPECT_EQ(tile->col, "c");
    EXPECT_EQ(tile->depth, 784);
    EXPECT_EQ(tile->rows, 8);
    EXPECT_EQ(tile->cols, 32);
  }
  EXPECT_FALSE(matchMatmulTile(asFor(s.tile()), 64)) << "NR = 32 is not a multiple of 64 lanes";
  EXPECT_FALSE(matchMatmulTile(asFor(s.tile()), 8)) << "8 rows × 4 vectors: more accumulators than registers";
  const Shape avx2{128, 512, 784, 4, 16};  // AVX2's block: 4×16, 8 accumulators
  EXPECT_TRUE(matchMatmulTile(asFor(avx2.tile()), 8));
  // The register file's size follows the lanes: 16 rows of one zmm fit 32
  // registers, 8 rows of 2 ymm (16 + 2 + 1) do not fit 16, 6 rows do.
  EXPECT_TRUE(matchMatmulTile(asFor(Shape{128, 512, 784, 16, 16}.tile()), 16));
  EXPECT_FALSE(matchMatmulTile(asFor(Shape{128, 512, 784, 16, 32}.tile()), 16)) << "32 accumulators";
  EXPECT_FALSE(matchMatmulTile(asFor(Shape{128, 512, 784, 8, 16}.tile()), 8)) << "16 + 2 + 1 > 16 ymm";
  EXPECT_TRUE(matchMatmulTile(asFor(Shape{120, 512, 784, 6, 16}.tile()), 8)) << "12 + 2 + 1 <= 16 ymm";
  EXPECT_TRUE(matchMatmulTile(asFor(Shape{128, 512, 784, 8, 8}.tile()), 8)) << "AVX2's one-vector block";
  // A as an expression, as the fusion passes leave it (W1's dL/dy), and
  // reading B's buffer: both fine.
  Expr scaled = f32(0.25) * (f32(2.0) * (load("a", s.aIndex()) - load("t", v("r"))));
  EXPECT_TRUE(matchMatmulTile(asFor(s.tile(scaled)), 16));
  EXPECT_TRUE(matchMatmulTile(asFor(s.tile(load("b", v("k")))), 16));
}

TEST(MatmulTile, LeavesEverythingElseToTheGeneralEmitter) {
  const Shape s{64, 64, 16, 4, 16};
  const Expr a = load("a", s.aIndex());
  auto matches = [](const Stmt& nest) { return bool(matchMatmulTile(asFor(nest), 16)); };
  EXPECT_TRUE(matches(tileNest(16, 4, 16, s.cIndex(), a, s.bIndex())));
  EXPECT_FALSE(matches(tileNest(16, 4, 16, s.cIndex() + v("c"), a, s.bIndex()))) << "C strided in c";
  EXPECT_FALSE(matches(tileNest(16, 4, 16, s.cIndex() + v("k"), a, s.bIndex()))) << "C moves with k";
  EXPECT_FALSE(matches(tileNest(16, 4, 16, v("r") * i64(8) + v("c"), a, s.bIndex()))) << "rows of C overlap";
  EXPECT_FALSE(matches(tileNest(16, 4, 16, s.cIndex(), a, s.bIndex() + v("r")))) << "B differs by row";
  EXPECT_FALSE(matches(tileNest(16, 4, 16, s.cIndex(), a, s.bIndex() + v("c")))) << "B strided in c";
  EXPECT_FALSE(matches(tileNest(16, 4, 16, s.cIndex(), a + load("a", v("c")), s.bIndex()))) << "A varies along c";
  EXPECT_FALSE(matches(tileNest(16, 4, 16, s.cIndex(), load("cm", v("r")), s.bIndex()))) << "A reads C";
  EXPECT_FALSE(matches(tileNest(16, 4, 16, s.cIndex(), a, s.bIndex(), "cm"))) << "B is C";
  EXPECT_FALSE(matches(tileNest(16, 4, 12, s.cIndex(), a, s.bIndex()))) << "NR not a multiple of the lanes";
  EXPECT_FALSE(matches(tileNest(0, 4, 16, s.cIndex(), a, s.bIndex()))) << "an empty k loop";
  EXPECT_FALSE(matches(tileNest(16, 0, 16, s.cIndex(), a, s.bIndex()))) << "no rows";
  Stmt notAccumulating = For::make("k", 16, For::make("r", 4, For::make("c", 16,
      Store::make("cm", s.cIndex(), MulAdd::make(a, load("b", s.bIndex()), load("cm", s.cIndex() + i64(1)))))));
  EXPECT_FALSE(matches(notAccumulating)) << "reads another element of C than it writes";
  Stmt product = For::make("k", 16, For::make("r", 4, For::make("c", 16,
      Store::make("cm", s.cIndex(), a * load("b", s.bIndex())))));
  EXPECT_FALSE(matches(product)) << "not a multiply-add";
}

// The lowering zeroes each C block just before its k loop; that nest is
// replaced by accumulators starting at +0.0 only when it zeroes exactly the
// tile's block with +0.0 (fma(a, b, -0.0) differs from fma(a, b, +0.0)
// when a·b is -0).
TEST(MatmulTile, RecognizesTheZeroingOfItsBlockOnly) {
  const Shape s{64, 64, 16, 4, 16};
  const Stmt nest = s.tile();  // the match points into it
  const auto tile = matchMatmulTile(asFor(nest), 16);
  ASSERT_TRUE(tile);
  EXPECT_EQ(tile->rowStride, 64) << "C's rows are N apart";
  auto zeroing = [&](const std::string& r, int64_t rows, const std::string& c, int64_t cols, const Expr& index,
                     float value, const std::string& buffer = "cm") {
    return For::make(r, rows, For::make(c, cols, Store::make(buffer, index, f32(value))));
  };
  auto zeroes = [&](const Stmt& nest) { return zeroesTileBlock(asFor(nest), *tile); };
  EXPECT_TRUE(zeroes(zeroing("r", 4, "c", 16, s.cIndex(), 0.0f)));
  // The same element written through an index spelled differently.
  const Expr respelled = v("c") + v("jb") * i64(16) + (v("r") + v("ib") * i64(4)) * i64(64);
  EXPECT_TRUE(zeroes(zeroing("r", 4, "c", 16, respelled, 0.0f)));
  EXPECT_FALSE(zeroes(zeroing("r", 4, "c", 16, s.cIndex(), -0.0f))) << "-0.0";
  EXPECT_FALSE(zeroes(zeroing("r", 4, "c", 16, s.cIndex(), 1.0f))) << "not zero";
  EXPECT_FALSE(zeroes(zeroing("r", 4, "c", 16, s.cIndex(), 0.0f, "a"))) << "another buffer";
  EXPECT_FALSE(zeroes(zeroing("r", 4, "c", 16, s.cIndex() + i64(1), 0.0f))) << "another block";
  EXPECT_FALSE(zeroes(zeroing("r", 2, "c", 16, s.cIndex(), 0.0f))) << "half the rows";
  EXPECT_FALSE(zeroes(zeroing("c", 16, "r", 4, s.cIndex(), 0.0f))) << "loops swapped";
  EXPECT_FALSE(zeroes(zeroing("r", 4, "x", 16, s.cIndex(), 0.0f))) << "another column variable";
  EXPECT_FALSE(zeroes(For::make("r", 4, Store::make("cm", s.cIndex(), f32(0.0f))))) << "one loop";
}

Buffer f32Buffer(std::string name, int64_t size, BufferKind kind) {
  Buffer b;
  b.name = std::move(name), b.type = ScalarType::F32, b.size = size, b.kind = kind;
  return b;
}

// The whole product, blocks in the lowering's order (rows of blocks
// outside, panels inside) or panels outside, run by the JIT and the
// interpreter on operands with every kind of float: the same bits.
// `zero` is what the block is cleared with before its k loop: +0.0 (the
// lowering's, replaced by accumulators starting at zero) or anything else
// (kept as stores, then loaded).
// `negativeZeros`: every product is -0.0 (A all -0.0, B all 1.0), so that
// the sign of the cleared value shows in every element.
void checkAgainstInterpreter(const Shape& s, bool panelsOutside, bool scaledA, VectorIsa isa, float zero = 0.0f,
                             bool negativeZeros = false, bool expectTile = true) {
  Module m;
  m.name = "tile";
  m.buffers = {f32Buffer("a", s.M * s.K, BufferKind::Input), f32Buffer("b", s.K * s.N, BufferKind::Input),
               f32Buffer("t", s.MR, BufferKind::Input), f32Buffer("cm", s.M * s.N, BufferKind::Output)};
  Expr a = load("a", s.aIndex());
  if (scaledA) a = f32(0.25) * (f32(2.0) * (a - load("t", v("r"))));
  Stmt clear = For::make("r", s.MR, For::make("c", s.NR, Store::make("cm", s.cIndex(), f32(zero))));
  Stmt block = Block::make({clear, s.tile(a)});
  Stmt nest = panelsOutside ? For::make("jb", s.N / s.NR, For::make("ib", s.M / s.MR, block))
                            : For::make("ib", s.M / s.MR, For::make("jb", s.N / s.NR, block));
  m.kernels.push_back(Kernel{"matmul_0", {}, nest});

  const float specials[] = {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                            -std::numeric_limits<float>::infinity(), -0.0f, 1e-40f, 3.4e38f};
  std::vector<float> av(size_t(s.M * s.K)), bv(size_t(s.K * s.N)), tv(size_t(s.MR), 0.125f);
  for (size_t i = 0; i < av.size(); ++i) av[i] = float(int(i * 37 % 101) - 50) * 0.0317f;
  for (size_t i = 0; i < bv.size(); ++i) bv[i] = float(int(i * 53 % 97) - 48) * 0.0211f;
  for (size_t i = 0; i < 6 && !av.empty(); ++i) av[i * 131 % av.size()] = specials[i], bv[i * 173 % bv.size()] = specials[5 - i];
  if (negativeZeros) std::fill(av.begin(), av.end(), -0.0f), std::fill(bv.begin(), bv.end(), 1.0f);
  std::vector<float> jitC(size_t(s.M * s.N), -1.0f), refC = jitC;
  auto jit = codegen::JitModule::compile(m, {.isa = isa});
  void* jitBuffers[] = {av.data(), bv.data(), tv.data(), jitC.data()};
  jit->entry()(jitBuffers);
  void* refBuffers[] = {av.data(), bv.data(), tv.data(), refC.data()};
  interpret(m, refBuffers);
  int mismatches = 0;
  for (size_t i = 0; i < jitC.size(); ++i)
    if (std::bit_cast<uint32_t>(jitC[i]) != std::bit_cast<uint32_t>(refC[i]) && !(std::isnan(jitC[i]) && std::isnan(refC[i])))
      if (++mismatches <= 5) ADD_FAILURE() << "C[" << i << "]: jit " << jitC[i] << ", interpreter " << refC[i];
  EXPECT_EQ(mismatches, 0) << s.M << "x" << s.N << "x" << s.K << " on " << hostisas::isaName(isa);
  // The block was emitted as vector fmas on SSA accumulators.
  const std::string vectorFma = "@llvm.fma.v" + std::to_string(hostisas::lanesOf(isa)) + "f32";
  const std::string ir = jit->unoptimizedLLVMIR();
  EXPECT_EQ(ir.find(vectorFma) != std::string::npos, expectTile) << vectorFma << " on " << hostisas::isaName(isa);
  // +0.0: the accumulators start as zero vectors; anything else is loaded.
  const std::string fromZero = "phi <" + std::to_string(hostisas::lanesOf(isa)) + " x float> [ zeroinitializer";
  EXPECT_EQ(ir.find(fromZero) != std::string::npos, expectTile && zero == 0.0f && !std::signbit(zero))
      << hostisas::isaName(isa);
}

TEST(MatmulTile, JitBlocksMatchTheInterpreter) {
  // Each ISA's blocks: 16-lane ones, and 8-lane ones natively on an
  // AVX-512 host too (HostIsas.h).
  for (VectorIsa isa : hostisas::hostIsas()) {
    // The lowering's two-vector-wide block: 8 rows in 32 zmm, 4 in 16 ymm.
    const int64_t L = hostisas::lanesOf(isa), MR = L == 16 ? 8 : 4;
    checkAgainstInterpreter({16, 4 * L, 24, MR, 2 * L}, false, false, isa);  // the lowering's order and block
    checkAgainstInterpreter({16, 4 * L, 24, MR, 2 * L}, true, false, isa);   // panels outside: LLVM alone gathered this
    checkAgainstInterpreter({8, 2 * L, 5, 4, L}, false, true, isa);         // A an expression
    checkAgainstInterpreter({3, L, 7, 1, L}, true, false, isa);             // one row per block
    // Blocks cleared with -0.0 and products of -0.0: a block started from
    // +0.0 would give +0.0 where the interpreter gives -0.0.
    checkAgainstInterpreter({8, 2 * L, 3, 4, L}, false, false, isa, -0.0f, true);
    checkAgainstInterpreter({8, 2 * L, 3, 4, L}, false, false, isa, 0.0f, true);
    checkAgainstInterpreter({8, 2 * L, 3, 4, L}, false, false, isa, 1.5f);
    // No k at all: C is what the clearing wrote (the micro-kernel would run
    // its k loop once).
    checkAgainstInterpreter({8, 2 * L, 0, 4, L}, false, false, isa, 0.0f, false, /*expectTile=*/false);
  }
}

}  // namespace

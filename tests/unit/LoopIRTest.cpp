// The loop IR's text form (printer and parser) and its verifier.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>

#include "ir/Error.h"
#include "ir/LoopParser.h"
#include "ir/LoopPrinter.h"
#include "ir/LoopVerifier.h"

using namespace sigma;
using namespace sigma::loop;

namespace {

Buffer buffer(std::string name, int64_t size, BufferKind kind, ScalarType type = ScalarType::F32) {
  Buffer b;
  b.name = std::move(name), b.size = size, b.kind = kind, b.type = type;
  return b;
}

Expr var(const char* name) { return Var::make(name); }
Expr load(const char* buffer, Expr index) { return Load::make(buffer, ScalarType::F32, std::move(index)); }

// The example of the format: a 4x2 by 3x2 (transposed) matmul.
Module matmulModule() {
  Module m;
  m.name = "seed_step";
  m.buffers = {buffer("x", 8, BufferKind::Input), buffer("l1.weight", 6, BufferKind::Parameter),
               buffer("c", 3, BufferKind::Constant), buffer("loss", 1, BufferKind::Output),
               buffer("t3", 12, BufferKind::Temp)};
  m.buffers[2].init = {0.5f, 1.0f, -2.0f};
  Expr out = var("i") * i64(3) + var("j");
  Stmt init = Store::make("t3", out, f32(0.0f));
  Stmt update = Store::make(
      "t3", out,
      load("t3", out) + load("x", var("i") * i64(2) + var("k")) * load("l1.weight", var("j") * i64(2) + var("k")));
  Stmt body = For::make("i", 4, For::make("j", 3, Block::make({init, For::make("k", 2, update)})));
  m.kernels.push_back({"matmul_3", {"3", "l1.weight"}, body});
  return m;
}

const char* kMatmulText = R"(module @seed_step {
  buffer %x : f32[8] input
  buffer %l1.weight : f32[6] param
  buffer %c : f32[3] const = [0.5, 1, -2]
  buffer %loss : f32[1] output
  buffer %t3 : f32[12] temp
  kernel @matmul_3 from(%3, %l1.weight) {
    for %i in 0..4 {
      for %j in 0..3 {
        %t3[%i * 3 + %j] = 0.0
        for %k in 0..2 {
          %t3[%i * 3 + %j] = %t3[%i * 3 + %j] + %x[%i * 2 + %k] * %l1.weight[%j * 2 + %k]
        }
      }
    }
  }
}
)";

void expectRoundTrip(const std::string& text) {
  std::string printed = printModule(parseModule(text));
  EXPECT_EQ(printed, text);
  EXPECT_EQ(printModule(parseModule(printed)), printed);
}

// Parses `text` expecting an error whose message contains `part`.
void expectParseError(const std::string& text, const std::string& part) {
  try {
    parseModule(text, "t.sl");
    ADD_FAILURE() << "expected a parse error containing: " << part;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

void expectVerifyError(const Module& m, const std::string& part) {
  try {
    verifyModule(m);
    ADD_FAILURE() << "expected a verifier error containing: " << part;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

}  // namespace

TEST(LoopIRPrinter, PrintsTheDocumentedFormat) {
  EXPECT_EQ(printModule(matmulModule()), kMatmulText);
  EXPECT_EQ(printExpr(var("i") * i64(3) + var("j")), "%i * 3 + %j");
  EXPECT_EQ(printStmt(Store::make("t3", i64(0), f32(1.5f)), 2), "  %t3[0] = 1.5\n");
}

TEST(LoopIRPrinter, ParenthesizesOnlyWhereTheTreeNeedsIt) {
  Expr a = var("a"), b = var("b"), c = var("c");
  EXPECT_EQ(printExpr(a - (b - c)), "%a - (%b - %c)");
  EXPECT_EQ(printExpr((a - b) - c), "%a - %b - %c");
  EXPECT_EQ(printExpr(a + (b + c)), "%a + (%b + %c)");
  EXPECT_EQ(printExpr((a + b) * c), "(%a + %b) * %c");
  EXPECT_EQ(printExpr(a * (b / c)), "%a * (%b / %c)");
  EXPECT_EQ(printExpr(Binary::make(BinaryOp::Mod, a + b, c)), "(%a + %b) % %c");
  Expr lt = Binary::make(BinaryOp::Lt, a + b, c);
  EXPECT_EQ(printExpr(lt), "%a + %b < %c");
  EXPECT_EQ(printExpr(Binary::make(BinaryOp::Eq, lt, lt)), "(%a + %b < %c) == (%a + %b < %c)");
  EXPECT_EQ(printExpr(i64(-3) * a - i64(-1)), "-3 * %a - -1");
  EXPECT_EQ(printExpr(Unary::make(UnaryOp::Neg, f32(2.0f))), "neg(2.0)");
  EXPECT_EQ(printExpr(Cast::make(ScalarType::I32, Binary::make(BinaryOp::Min, f32(1.0f), f32(-0.0f)))),
            "i32(min(1.0, -0.0))");
}

TEST(LoopIRPrinter, FloatsPrintShortestAndRoundTripBitExactly) {
  EXPECT_EQ(printFloat(1.0f), "1.0");
  EXPECT_EQ(printFloat(1.0f, false), "1");
  EXPECT_EQ(printFloat(0.1f), "0.1");
  EXPECT_EQ(printFloat(-0.0f), "-0.0");
  EXPECT_EQ(printFloat(1e-30f), "1e-30");
  EXPECT_EQ(printFloat(3.4028235e38f), "3.4028235e+38");
  EXPECT_EQ(printFloat(std::numeric_limits<float>::infinity()), "inf");
  EXPECT_EQ(printFloat(-std::numeric_limits<float>::infinity()), "-inf");
  EXPECT_EQ(printFloat(std::bit_cast<float>(0x7fc00000u)), "nan");
  EXPECT_EQ(printFloat(std::bit_cast<float>(0xffc00000u)), "-nan");
  EXPECT_EQ(printFloat(std::bit_cast<float>(0x7fc00001u)), "nan(0x7fc00001)");

  const float inf = std::numeric_limits<float>::infinity();
  const float values[] = {
      0.1f, 1e-30f, -0.0f, 0.0f, 3.4028235e38f, -3.4028235e38f, 1e-45f, 1.17549435e-38f, 16777216.0f, 123456789.0f,
      1e16f, 2.5f, -1.0f, inf, -inf, std::bit_cast<float>(0x7fc00000u), std::bit_cast<float>(0xffc00000u),
      std::bit_cast<float>(0x7f800001u), std::bit_cast<float>(0xffffffffu)};  // (1 ulp past inf: a NaN payload)
  Module m;
  m.name = "floats";
  m.buffers = {buffer("out", std::size(values), BufferKind::Output),
               buffer("k", std::size(values), BufferKind::Constant)};
  std::vector<Stmt> stores;
  for (size_t i = 0; i < std::size(values); ++i) {
    stores.push_back(Store::make("out", i64(int64_t(i)), f32(values[i])));
    m.buffers[1].init.push_back(values[i]);
  }
  m.kernels.push_back({"consts", {}, Block::make(stores)});
  std::string text = printModule(m);
  Module back = parseModule(text);
  EXPECT_EQ(printModule(back), text);
  const auto* block = as<Block>(back.kernels[0].body);
  ASSERT_TRUE(block);
  for (size_t i = 0; i < std::size(values); ++i) {
    const auto* imm = as<FloatImm>(as<Store>(block->stmts[i])->value);
    ASSERT_TRUE(imm);
    EXPECT_EQ(std::bit_cast<uint32_t>(imm->value), std::bit_cast<uint32_t>(values[i])) << printFloat(values[i]);
    EXPECT_EQ(std::bit_cast<uint32_t>(back.buffers[1].init[i]), std::bit_cast<uint32_t>(values[i]));
  }
}

TEST(LoopIRParser, RoundTripsEveryConstruct) {
  expectRoundTrip(kMatmulText);
  expectRoundTrip(R"(module @all_ops {
  buffer %a : f32[4] input
  buffer %n : i32[4] input
  buffer %idx : i64[2] input
  buffer %"odd name\"\\\x01" : f32[4] output
  buffer %s : i64[1] state
  kernel @k1 {
    for %i in 0..4 {
      %"odd name\"\\\x01"[%i] = select(%a[%i] < 0.0, neg(%a[%i]), min(max(%a[%i], -1.5), 1e-30))
      %"odd name\"\\\x01"[(%i + 1) % 4] = tanh(exp(log(sqrt(abs(sign(%a[%i]))))))
      %"odd name\"\\\x01"[3 - %i] = f32(%n[%i]) / f32(i32(%i * -2)) - (1.0 - -0.0)
      %s[0] = %s[0] + i64(%n[%idx[%i / 2]]) + select(f32(%i) <= inf, neg(%i), abs(-9223372036854775808))
      %s[0] = select((%i == 0) != (%i != 1), 0, -1)
    }
  }
  kernel @"empty kernel" from(%"x y") {
  }
  kernel @loops {
    for %i in 0..0 {
    }
    for %j in 0..2 {
      for %i in 0..3 {
        %s[0] = %i + %j
      }
    }
  }
}
)");
  expectRoundTrip("module @empty {\n}\n");
}

// Random well-typed expressions: every operator, type and literal shape
// (negative, NaN payloads, nesting that needs parentheses) must survive.
class RandomExprs {
 public:
  explicit RandomExprs(uint32_t seed) : rng_(seed) {}

  Expr gen(ScalarType t, int depth) {
    int choice = pick(depth <= 0 ? 2 : 8);
    if (t == ScalarType::Bool) {
      if (choice == 0 && depth > 0)
        return Binary::make(pick(2) ? BinaryOp::Eq : BinaryOp::Ne, gen(t, depth - 1), gen(t, depth - 1));
      ScalarType operand = kNumeric[pick(3)];
      return Binary::make(BinaryOp(int(BinaryOp::Lt) + pick(4)), gen(operand, depth - 1), gen(operand, depth - 1));
    }
    switch (choice) {
      case 0: return leaf(t);
      case 1: return Load::make(bufferOf(t), t, pick(2) ? Var::make("i") : gen(ScalarType::I64, depth - 1));
      case 2:
      case 3:
      case 4: {
        static const BinaryOp ops[] = {BinaryOp::Add, BinaryOp::Sub, BinaryOp::Mul, BinaryOp::Div,
                                       BinaryOp::Min, BinaryOp::Max, BinaryOp::Mod};
        BinaryOp op = ops[pick(t == ScalarType::F32 ? 6 : 7)];
        return Binary::make(op, gen(t, depth - 1), gen(t, depth - 1));
      }
      case 5: return Unary::make(t == ScalarType::F32 ? UnaryOp(pick(7)) : UnaryOp(pick(2)), gen(t, depth - 1));
      case 6: return Select::make(gen(ScalarType::Bool, depth - 1), gen(t, depth - 1), gen(t, depth - 1));
      default: return Cast::make(t, gen(kNumeric[pick(3)], depth - 1));
    }
  }

 private:
  static constexpr ScalarType kNumeric[] = {ScalarType::F32, ScalarType::I32, ScalarType::I64};
  int pick(int n) { return int(rng_() % uint32_t(n)); }
  static const char* bufferOf(ScalarType t) { return t == ScalarType::F32 ? "f" : t == ScalarType::I32 ? "n" : "l"; }
  Expr leaf(ScalarType t) {
    if (t == ScalarType::F32)
      return f32(pick(3) ? float(int(rng_() % 2001) - 1000) / 64.0f : std::bit_cast<float>(uint32_t(rng_())));
    if (t == ScalarType::I32) return Load::make("n", t, i64(pick(4)));
    if (pick(4) == 0) return Var::make("i");
    return i64(pick(8) == 0 ? int64_t(uint64_t(rng_()) << 32 | rng_()) : int64_t(rng_() % 21) - 10);
  }
  std::mt19937 rng_;
};

TEST(LoopIRParser, RoundTripsRandomExpressions) {
  RandomExprs random(42);
  size_t total = 0;
  for (int round = 0; round < 200; ++round) {
    Module m;
    m.buffers = {buffer("f", 4, BufferKind::Temp), buffer("n", 4, BufferKind::Temp, ScalarType::I32),
                 buffer("l", 4, BufferKind::Temp, ScalarType::I64)};
    std::vector<Stmt> stores;
    for (ScalarType t : {ScalarType::F32, ScalarType::I32, ScalarType::I64})
      stores.push_back(Store::make(m.buffers[size_t(t)].name, Var::make("i"), random.gen(t, 5)));
    m.kernels.push_back({"k", {}, For::make("i", 4, Block::make(stores))});
    std::string text = printModule(m);
    ASSERT_EQ(printModule(parseModule(text)), text);
    total += text.size();
  }
  EXPECT_GT(total, 20000u);  // the expressions are not trivially small
}

TEST(LoopIRParser, AcceptsCommentsLooseSpacingAndIntegerInits) {
  Module m = parseModule(R"(// a comment
module @m {   // another
  buffer %c : f32[3] const = [ 1.50 , -2 , 3e0 ]
  buffer %o : f32[3] output
  kernel @k { for %i in 0..3 { %o[%i]=%c[%i]*-1.0+-(%c[%i]) } }
})");
  EXPECT_EQ(m.buffers[0].init, (std::vector<float>{1.5f, -2.0f, 3.0f}));
  EXPECT_EQ(printStmt(m.kernels[0].body), "for %i in 0..3 {\n  %o[%i] = %c[%i] * -1.0 + neg(%c[%i])\n}\n");
}

TEST(LoopIRParser, ReportsSyntaxErrorsWithAPlace) {
  expectParseError("module @m {\n  buffer %x f32[8] input\n}", "t.sl:2:13: error: expected ':', found 'f32'");
  expectParseError("module @m {\n  buffer %x : f32[8] inptu\n}", "t.sl:2:22: error: expected a buffer kind");
  expectParseError("module @m {\n  buffer %x : f33[8] input\n}", "t.sl:2:15: error: expected an element type");
  expectParseError("module @m {\n  buffer %x : f32[8] input\n",
                   "t.sl:3:1: error: expected 'buffer', 'kernel' or '}', found end of input");
  expectParseError("module m {}", "t.sl:1:8: error: expected a module name (@name), found 'm'");
  expectParseError("module @m {\n  kernel @k {\n    for %i in 1..4 {\n    }\n  }\n}",
                   "t.sl:3:15: error: expected 0 (loops start at 0), found '1'");
  expectParseError("module @m {\n  buffer %o : f32[1] output\n  kernel @k {\n    %o[0] = foo(1.0)\n  }\n}",
                   "t.sl:4:13: error: expected an expression, found 'foo'");
  expectParseError("module @m {\n  buffer %o : f32[1] output\n  kernel @k {\n    %o[0] = min(1.0)\n  }\n}",
                   "t.sl:4:20: error: expected ',' (min takes 2 arguments), found ')'");
  expectParseError("module @m {\n  buffer %o : f32[1] output\n  kernel @k {\n    %o[0] = 1.0 $\n  }\n}",
                   "t.sl:4:17: error: unexpected character '$'");
  expectParseError("module @m {\n  buffer %o : f32[1] output\n  kernel @k {\n    %o[0] = 1e39\n  }\n}",
                   "t.sl:4:13: error: float literal 1e39 is not representable as f32");
  expectParseError("module @m {\n  buffer %o : f32[1] output\n  kernel @k {\n    %o[0] = nan(0x1)\n  }\n}",
                   "t.sl:4:17: error: 0x1 is not the bit pattern of an f32 NaN");
  expectParseError("module @m {\n  buffer %o : f32[1] output\n  kernel @k {\n    %o = 1.0\n  }\n}",
                   "t.sl:4:8: error: expected '[' (a store is %buffer[index] = value), found '='");
  expectParseError("module @m {\n} extra", "t.sl:2:3: error: expected end of input after the module, found 'extra'");
  expectParseError("module @m {\n  buffer %\"abc : f32[1] input\n}", "t.sl:2:10: error: unterminated quoted name");
}

// Nesting is bounded (200 levels): 3,000 '(' overflowed the recursive
// descent's stack under AddressSanitizer (found by the fuzzer). The
// kernel's block and the statement's expression are two levels, so 198
// parentheses are the most that parse, and 199 are refused.
TEST(LoopIRParser, RefusesNestingDeeperThanItsLimit) {
  const std::string head = "module @m {\n  buffer %o : f32[1] output\n  kernel @k {\n    %o[0] = ";
  auto nested = [](const std::string& open, const std::string& inner, const std::string& close, int n) {
    std::string text;
    for (int i = 0; i < n; ++i) text += open;
    text += inner;
    for (int i = 0; i < n; ++i) text += close;
    return text;
  };
  const std::string tail = "\n  }\n}";
  EXPECT_NO_THROW(parseModule(head + nested("(", "1.0", ")", 198) + tail));
  expectParseError(head + nested("(", "1.0", ")", 199) + tail, "t.sl:4:212: error: nested deeper than 200 levels");
  expectParseError(head + nested("(", "1.0", ")", 3000) + tail, "t.sl:4:212: error: nested deeper than 200 levels");
  expectParseError(head + nested("neg(", "1.0", ")", 300) + tail, "error: nested deeper than 200 levels");
  expectParseError(head + nested("- ", "%o[0]", "", 300) + tail, "error: nested deeper than 200 levels");
  std::string loops = "module @m {\n  buffer %o : f32[1] output\n  kernel @k {\n";
  for (int i = 0; i < 300; ++i) loops += "for %i" + std::to_string(i) + " in 0..1 {\n";
  loops += "%o[0] = 1.0\n" + std::string(300, '}') + "\n  }\n}";
  expectParseError(loops, "error: nested deeper than 200 levels");
}

TEST(LoopIRParser, ReportsNameAndTypeErrorsWithAPlace) {
  expectParseError("module @m {\n  buffer %x : f32[8] input\n  buffer %x : f32[2] temp\n}",
                   "t.sl:3:10: error: duplicate buffer %x");
  expectParseError("module @m {\n  kernel @k {\n  }\n  kernel @k {\n  }\n}", "t.sl:4:10: error: duplicate kernel @k");
  expectParseError("module @m {\n  kernel @k {\n    %y[0] = 1.0\n  }\n}", "t.sl:3:5: error: unknown buffer %y");
  expectParseError("module @m {\n  buffer %o : f32[4] output\n  kernel @k {\n    %o[0] = %z[1]\n  }\n}",
                   "t.sl:4:13: error: unknown buffer %z");
  expectParseError(
      "module @m {\n  buffer %o : f32[4] output\n  kernel @k {\n    for %i in 0..4 {\n    }\n    %o[%i] = 1.0\n  }\n}",
      "t.sl:6:8: error: loop variable %i is not in scope");
  expectParseError("module @m {\n  buffer %o : f32[4] output\n  kernel @k {\n    %o[0] = %o\n  }\n}",
                   "t.sl:5:3: error: expected '[' after buffer %o, found '}'");
  expectParseError("module @m {\n  kernel @k {\n    for %i in 0..4 {\n      for %i in 0..2 {\n      }\n    }\n  }\n}",
                   "t.sl:4:11: error: loop variable %i shadows an enclosing loop's");
  expectParseError(
      "module @m {\n  buffer %o : f32[4] output\n  kernel @k {\n    for %i in 0..4 {\n      %o[%i] = %o[%i] + %i\n    "
      "}\n  }\n}",
      "t.sl:5:23: error: add of f32 and i64 operands");
  expectParseError("module @m {\n  buffer %o : f32[4] output\n  kernel @k {\n    %o[0] = 1\n  }\n}",
                   "t.sl:4:13: error: storing a i64 value into %o of type f32");
  expectParseError("module @m {\n  buffer %o : f32[4] output\n  kernel @k {\n    %o[1.0] = 1.0\n  }\n}",
                   "t.sl:4:8: error: store to 'o' needs an i64 index");
  expectParseError("module @m {\n  buffer %o : f32[4] output\n  kernel @k {\n    %o[0] = sign(1)\n  }\n}",
                   "t.sl:4:13: error: sign of a i64 operand");
  expectParseError("module @m {\n  buffer %o : i64[4] output\n  kernel @k {\n    %o[0] = 9223372036854775808\n  }\n}",
                   "t.sl:4:13: error: integer literal 9223372036854775808 is out of range for i64");
}

TEST(LoopIRVerifier, AcceptsWellFormedModules) {
  EXPECT_NO_THROW(verifyModule(matmulModule()));
  // Wrapped and clamped indices stay in bounds even though their parts do not.
  EXPECT_NO_THROW(verifyModule(parseModule(R"(module @m {
  buffer %a : f32[4] input
  buffer %o : f32[4] output
  kernel @k {
    for %i in 0..8 {
      %o[%i % 4] = %a[min(max(%i - 2, 0), 3)] + %a[(%i + 4) / 3] + %a[%i / 2 + 1 * 0 - select(%i < 4, 0, 0)]
    }
    for %e in 0..0 {
      %o[%e + 100] = 0.0
    }
  }
}
)")));
}

TEST(LoopIRVerifier, NamesTheKernelAndTheProblem) {
  Module base = matmulModule();
  Stmt okStore = Store::make("loss", i64(0), f32(1.0f));
  auto withBody = [&](Stmt body) {
    Module m = base;
    m.kernels.push_back({"bad", {}, std::move(body)});
    return m;
  };
  expectVerifyError(withBody(Store::make("nope", i64(0), f32(1.0f))),
                    "verify: kernel @bad: store to unknown buffer %nope");
  expectVerifyError(withBody(Store::make("loss", i64(0), load("nope", i64(0)))),
                    "kernel @bad: load from unknown buffer %nope");
  expectVerifyError(withBody(Store::make("loss", var("i"), f32(1.0f))),
                    "kernel @bad: loop variable %i is used outside its loop");
  expectVerifyError(withBody(For::make("i", 1, For::make("i", 1, okStore))),
                    "kernel @bad: loop variable %i shadows an enclosing loop's");
  expectVerifyError(
      withBody(Store::make("loss", i64(0), Cast::make(ScalarType::F32, Load::make("x", ScalarType::I64, i64(0))))),
      "kernel @bad: type mismatch in %x[0]: the load has type i64 but %x holds f32");
  expectVerifyError(withBody(Store::make("loss", i64(0), i64(1))),
                    "kernel @bad: store %loss[0]: stores a i64 value into a f32 buffer");
  expectVerifyError(withBody(Store::make("x", i64(0), f32(1.0f))),
                    "kernel @bad: store %x[0]: stores into input buffer %x");
  expectVerifyError(withBody(Store::make("c", i64(0), f32(1.0f))),
                    "kernel @bad: store %c[0]: stores into const buffer %c");
  expectVerifyError(
      withBody(For::make("i", 4, Store::make("loss", var("i"), f32(1.0f)))),
      "kernel @bad: store to %loss: index %i ranges over [0, 3], outside [0, 1) (the buffer has 1 elements)");
  expectVerifyError(withBody(For::make("i", 9, Store::make("loss", i64(0), load("x", var("i"))))),
                    "kernel @bad: load from %x: index %i ranges over [0, 8], outside [0, 8)");
  expectVerifyError(
      withBody(For::make("i", 8, For::make("j", 2, Store::make("loss", i64(0), load("x", var("i") - var("j")))))),
      "kernel @bad: load from %x: index %i - %j ranges over [-1, 7], outside [0, 8)");
  expectVerifyError(withBody(std::make_shared<Store>(
                        "loss", i64(0), std::make_shared<Binary>(BinaryOp::Add, ScalarType::F32, f32(1.0f), i64(1)))),
                    "kernel @bad: type mismatch in 1.0 + 1: add of f32 and i64 operands");
  expectVerifyError(withBody(std::make_shared<Store>("loss", f32(0.0f), f32(1.0f))),
                    "kernel @bad: store to %loss: the index 0.0 is f32, not i64");
  expectVerifyError(withBody(nullptr), "verify: kernel @bad: the kernel has no body");

  Module m = base;
  m.buffers[2].init.pop_back();
  expectVerifyError(m, "verify: module @seed_step: const buffer %c has 2 init values for 3 elements");
  m = base;
  m.buffers.push_back(buffer("x", 1, BufferKind::Temp));
  expectVerifyError(m, "verify: module @seed_step: duplicate buffer %x");
  m = base;
  m.kernels.push_back(m.kernels[0]);
  expectVerifyError(m, "verify: module @seed_step: duplicate kernel @matmul_3");
  m = base;
  m.buffers.push_back(buffer("flags", 1, BufferKind::Temp, ScalarType::Bool));
  expectVerifyError(m, "verify: module @seed_step: buffer %flags holds bool");
}

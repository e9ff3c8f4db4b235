#include "ir/LoopParser.h"

#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <utility>

#include "ir/Error.h"
#include "ir/LoopLexer.h"

namespace sigma {

using namespace loop;
using looptext::Lexer;
using looptext::Tok;
using looptext::Token;

namespace {

// --------------------------------------------------------------------- parser

// The whole body as one statement: a single statement stands alone, several
// (or none) make a block. This matches what the printer flattens.
Stmt makeBody(std::vector<Stmt> stmts) { return stmts.size() == 1 ? stmts[0] : Block::make(std::move(stmts)); }

class Parser {
 public:
  Parser(std::string_view text, const std::string& file) : lex_(text, file) { tok_ = lex_.next(); }

  Module parseModule() {
    expectIdent("module");
    module_.name = expectName(Tok::GlobalName, "a module name (@name)");
    expect(Tok::LBrace, "'{'");
    while (tok_.kind != Tok::RBrace) {
      if (isIdent("buffer"))
        parseBuffer();
      else if (isIdent("kernel"))
        parseKernel();
      else
        failExpected("'buffer', 'kernel' or '}'");
    }
    take();
    if (tok_.kind != Tok::End) failExpected("end of input after the module");
    return std::move(module_);
  }

 private:
  // ------------------------------------------------------------- tokens
  [[noreturn]] void failAt(const Token& t, const std::string& message) const { lex_.fail(t.line, t.col, message); }
  [[noreturn]] void failExpected(const std::string& what) const {
    std::string found = tok_.kind == Tok::End ? "end of input" : fmt::format("'{}'", tok_.text);
    failAt(tok_, fmt::format("expected {}, found {}", what, found));
  }

  // Nesting deeper than this (parentheses, indices, calls, negations,
  // loops) is refused: the recursive descent would otherwise run out of
  // stack on input like 3,000 '(' (which the fuzzer found). Printed IR
  // nests a few levels deep.
  static constexpr int kMaxNesting = 200;
  struct Nesting {
    Parser& parser;
    explicit Nesting(Parser& p) : parser(p) {
      if (++parser.depth_ > kMaxNesting)
        parser.failAt(parser.tok_, fmt::format("nested deeper than {} levels", kMaxNesting));
    }
    ~Nesting() { --parser.depth_; }
  };

  Token take() { return std::exchange(tok_, lex_.next()); }
  bool isIdent(std::string_view word) const { return tok_.kind == Tok::Ident && tok_.text == word; }
  bool accept(Tok kind) {
    if (tok_.kind != kind) return false;
    take();
    return true;
  }
  Token expect(Tok kind, const std::string& what) {
    if (tok_.kind != kind) failExpected(what);
    return take();
  }
  void expectIdent(std::string_view word) {
    if (!isIdent(word)) failExpected(fmt::format("'{}'", word));
    take();
  }
  std::string expectName(Tok kind, const std::string& what) { return expect(kind, what).name; }

  // A node builder's own error (e.g. "add of f32 and i64 operands"), placed.
  template <typename Make>
  auto at(const Token& t, Make make) {
    try {
      return make();
    } catch (const Error& e) {
      std::string message = e.what();
      if (message.rfind("loop IR: ", 0) == 0) message.erase(0, 9);
      failAt(t, message);
    }
  }

  int64_t parseInt(const Token& t, bool negative) {
    uint64_t magnitude = 0;
    bool hex = t.text.size() > 2 && t.text[1] == 'x';
    auto [end, ec] = std::from_chars(t.text.data() + (hex ? 2 : 0), t.text.data() + t.text.size(), magnitude,
                                     hex ? 16 : 10);
    uint64_t limit = uint64_t(INT64_MAX) + (negative ? 1 : 0);
    if (ec != std::errc() || magnitude > limit)
      failAt(t, fmt::format("integer literal {} is out of range for i64", t.text));
    return negative ? int64_t(0 - magnitude) : int64_t(magnitude);
  }

  // A float written as a float, an integer, inf, nan or nan(0xBITS), with an
  // optional leading '-'. Integers are accepted so that init lists read 1, -2.
  bool atFloatLiteral() const {
    return tok_.kind == Tok::Float || tok_.kind == Tok::Int || isIdent("inf") || isIdent("nan");
  }
  float parseFloatLiteral(bool negative) {
    Token t = take();
    float value = 0;
    if (t.kind == Tok::Ident && t.text == "inf") {
      value = std::numeric_limits<float>::infinity();
    } else if (t.kind == Tok::Ident) {  // nan
      uint32_t bits = 0x7fc00000u;
      if (accept(Tok::LParen)) {
        Token payload = expect(Tok::Int, "the bits of a NaN (0x7fc00001)");
        int64_t v = parseInt(payload, false);
        bits = uint32_t(v);
        if (v > int64_t(UINT32_MAX) || !std::isnan(std::bit_cast<float>(bits)))
          failAt(payload, fmt::format("{} is not the bit pattern of an f32 NaN", payload.text));
        expect(Tok::RParen, "')'");
      }
      value = std::bit_cast<float>(bits);
    } else {
      auto [end, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), value);
      if (ec != std::errc() || end != t.text.data() + t.text.size())
        failAt(t, fmt::format("float literal {} is not representable as f32", t.text));
    }
    return negative ? -value : value;
  }

  // ------------------------------------------------------------ module level
  void parseBuffer() {
    take();
    Token nameTok = expect(Tok::LocalName, "a buffer name (%name)");
    if (module_.findBuffer(nameTok.name)) failAt(nameTok, fmt::format("duplicate buffer {}", nameTok.text));
    Buffer b;
    b.name = nameTok.name;
    expect(Tok::Colon, "':'");
    Token typeTok = expect(Tok::Ident, "an element type (f32, i32, i64, bool)");
    b.type = scalarType(typeTok);
    expect(Tok::LBracket, "'['");
    const bool unsized = tok_.kind == Tok::RBracket;  // `f32[]`: an extern buffer, sized at run time
    if (!unsized) b.size = parseInt(expect(Tok::Int, "the buffer size"), false);
    expect(Tok::RBracket, "']'");
    Token kindTok = expect(Tok::Ident, "a buffer kind (input, param, const, output, temp, state, extern)");
    b.kind = bufferKind(kindTok);
    if (unsized != (b.kind == BufferKind::Extern))
      failAt(kindTok, unsized ? fmt::format("only an extern buffer has no size ({} is {})", nameTok.text, kindTok.text)
                              : fmt::format("an extern buffer has no size in the IR: write {}[]", typeTok.text));
    if (isIdent("at")) {  // a planned temporary's offset in the arena
      take();
      b.offset = parseInt(expect(Tok::Int, "the buffer's byte offset"), false);
    }
    if (accept(Tok::Assign)) {
      expect(Tok::LBracket, "'['");
      if (tok_.kind != Tok::RBracket) {
        do {
          bool negative = accept(Tok::Minus);
          if (!atFloatLiteral()) failExpected("a number");
          b.init.push_back(parseFloatLiteral(negative));
        } while (accept(Tok::Comma));
      }
      expect(Tok::RBracket, "',' or ']'");
    }
    module_.buffers.push_back(std::move(b));
  }

  ScalarType scalarType(const Token& t) const {
    for (ScalarType s : {ScalarType::F32, ScalarType::I32, ScalarType::I64, ScalarType::Bool})
      if (t.text == scalarTypeName(s)) return s;
    failAt(t, fmt::format("expected an element type (f32, i32, i64, bool), found '{}'", t.text));
  }

  BufferKind bufferKind(const Token& t) const {
    for (int k = 0; k <= int(BufferKind::Extern); ++k)
      if (t.text == bufferKindName(BufferKind(k))) return BufferKind(k);
    failAt(t, fmt::format("expected a buffer kind (input, param, const, output, temp, state, extern), found '{}'",
                          t.text));
  }

  void parseKernel() {
    take();
    Token nameTok = expect(Tok::GlobalName, "a kernel name (@name)");
    for (const Kernel& k : module_.kernels)
      if (k.name == nameTok.name) failAt(nameTok, fmt::format("duplicate kernel {}", nameTok.text));
    Kernel k;
    k.name = nameTok.name;
    for (KernelRole role : {KernelRole::LoopIn, KernelRole::LoopOut, KernelRole::LoopAhead})
      if (isIdent(kernelRoleName(role))) {
        take();
        k.role = role;
        break;
      }
    if (isIdent("from")) {
      take();
      expect(Tok::LParen, "'('");
      do k.origin.push_back(expectName(Tok::LocalName, "a graph node name (%name)"));
      while (accept(Tok::Comma));
      expect(Tok::RParen, "',' or ')'");
    }
    stepBound_ = k.role != KernelRole::Step;  // %step, the training loop's variable
    k.body = parseBlock();
    stepBound_ = false;
    module_.kernels.push_back(std::move(k));
  }

  // ------------------------------------------------------------- statements
  Stmt parseBlock() {
    Nesting nesting(*this);
    expect(Tok::LBrace, "'{'");
    std::vector<Stmt> stmts;
    while (!accept(Tok::RBrace)) stmts.push_back(parseStmt());
    return makeBody(std::move(stmts));
  }

  Stmt parseStmt() {
    if (isIdent("for")) return parseFor();
    if (isIdent("prefetch")) return parsePrefetch();
    if (tok_.kind == Tok::LocalName) return parseStore();
    failExpected("a statement ('for', 'prefetch' or a store %buffer[index] = value) or '}'");
  }

  Stmt parseFor() {
    take();
    Token varTok = expect(Tok::LocalName, "a loop variable (%name)");
    for (const std::string& v : scope_)
      if (v == varTok.name) failAt(varTok, fmt::format("loop variable {} shadows an enclosing loop's", varTok.text));
    if (stepBound_ && varTok.name == kLoopStepVar)
      failAt(varTok, fmt::format("loop variable {} shadows the training loop's", varTok.text));
    expectIdent("in");
    Token start = expect(Tok::Int, "0 (the loop start)");
    if (parseInt(start, false) != 0)
      failAt(start, fmt::format("expected 0 (loops start at 0), found '{}'", start.text));
    expect(Tok::DotDot, "'..'");
    int64_t extent = parseInt(expect(Tok::Int, "the loop extent (an integer)"), false);
    const bool parallel = isIdent("parallel");
    if (parallel) {
      if (!scope_.empty()) failAt(tok_, "only a kernel's top-level loops can be parallel");
      take();
    }
    scope_.push_back(varTok.name);
    Stmt body = parseBlock();
    scope_.pop_back();
    return For::make(varTok.name, extent, std::move(body), parallel);
  }

  Stmt parseStore() {
    Token nameTok = take();
    const Buffer& buffer = lookupBuffer(nameTok);
    expect(Tok::LBracket, "'[' (a store is %buffer[index] = value)");
    Token indexTok = tok_;
    Expr index = parseExpr();
    expect(Tok::RBracket, "']'");
    expect(Tok::Assign, "'='");
    Token valueTok = tok_;
    Expr value = parseExpr();
    if (value->type != buffer.type)
      failAt(valueTok, fmt::format("storing a {} value into {} of type {}", scalarTypeName(value->type),
                                   nameTok.text, scalarTypeName(buffer.type)));
    return at(indexTok, [&] { return Store::make(buffer.name, index, value); });
  }

  Stmt parsePrefetch() {
    take();
    Token nameTok = expect(Tok::LocalName, "a buffer (prefetch %buffer[index])");
    const Buffer& buffer = lookupBuffer(nameTok);
    expect(Tok::LBracket, "'[' (a prefetch is prefetch %buffer[index])");
    Token indexTok = tok_;
    Expr index = parseExpr();
    expect(Tok::RBracket, "']'");
    return at(indexTok, [&] { return Prefetch::make(buffer.name, index); });
  }

  const Buffer& lookupBuffer(const Token& t) const {
    const Buffer* b = module_.findBuffer(t.name);
    if (!b) failAt(t, fmt::format("unknown buffer {}", t.text));
    return *b;
  }

  // ------------------------------------------------------------ expressions
  // Precedence climbing over the printer's table: comparisons (one, not
  // chained) < additive < multiplicative < unary and primaries.
  Expr parseExpr() {
    Nesting nesting(*this);
    Expr a = parseAdditive();
    static const std::map<Tok, BinaryOp> comparisons = {
        {Tok::Lt, BinaryOp::Lt}, {Tok::Le, BinaryOp::Le}, {Tok::EqEq, BinaryOp::Eq}, {Tok::Ne, BinaryOp::Ne}};
    auto it = comparisons.find(tok_.kind);
    if (it == comparisons.end()) return a;
    Token opTok = take();
    Expr b = parseAdditive();
    return at(opTok, [&] { return Binary::make(it->second, a, b); });
  }

  Expr parseAdditive() {
    Expr a = parseTerm();
    while (tok_.kind == Tok::Plus || tok_.kind == Tok::Minus) {
      Token opTok = take();
      Expr b = parseTerm();
      a = at(opTok, [&] { return Binary::make(opTok.kind == Tok::Plus ? BinaryOp::Add : BinaryOp::Sub, a, b); });
    }
    return a;
  }

  Expr parseTerm() {
    Expr a = parseUnary();
    while (tok_.kind == Tok::Star || tok_.kind == Tok::Slash || tok_.kind == Tok::Percent) {
      Token opTok = take();
      BinaryOp op = opTok.kind == Tok::Star ? BinaryOp::Mul : opTok.kind == Tok::Slash ? BinaryOp::Div : BinaryOp::Mod;
      Expr b = parseUnary();
      a = at(opTok, [&] { return Binary::make(op, a, b); });
    }
    return a;
  }

  // '-' before a literal is part of the literal (the printer writes negative
  // immediates as -3, -0.5); before anything else it means neg(...).
  Expr parseUnary() {
    if (tok_.kind != Tok::Minus) return parsePrimary();
    Token minus = take();
    if (tok_.kind == Tok::Int) return IntImm::make(parseInt(take(), true));
    if (atFloatLiteral()) return FloatImm::make(parseFloatLiteral(true));
    Nesting nesting(*this);
    Expr a = parseUnary();
    return at(minus, [&] { return Unary::make(UnaryOp::Neg, a); });
  }

  Expr parsePrimary() {
    if (tok_.kind == Tok::Int) return IntImm::make(parseInt(take(), false));
    if (atFloatLiteral()) return FloatImm::make(parseFloatLiteral(false));
    if (accept(Tok::LParen)) {
      Expr e = parseExpr();
      expect(Tok::RParen, "')'");
      return e;
    }
    if (tok_.kind == Tok::LocalName) {
      Token nameTok = take();
      if (accept(Tok::LBracket)) {
        const Buffer& buffer = lookupBuffer(nameTok);
        Expr index = parseExpr();
        expect(Tok::RBracket, "']'");
        return at(nameTok, [&] { return Load::make(buffer.name, buffer.type, index); });
      }
      for (const std::string& v : scope_)
        if (v == nameTok.name) return Var::make(nameTok.name);
      if (stepBound_ && nameTok.name == kLoopStepVar) return Var::make(nameTok.name);
      if (module_.findBuffer(nameTok.name)) failExpected(fmt::format("'[' after buffer {}", nameTok.text));
      failAt(nameTok, fmt::format("loop variable {} is not in scope", nameTok.text));
    }
    if (tok_.kind == Tok::Ident) return parseCall();
    failExpected("an expression");
  }

  Expr parseCall() {
    Token fnTok = take();
    const std::string& fn = fnTok.text;
    static const std::map<std::string, UnaryOp, std::less<>> unaries = {
        {"neg", UnaryOp::Neg}, {"abs", UnaryOp::Abs}, {"sign", UnaryOp::Sign}, {"tanh", UnaryOp::Tanh},
        {"exp", UnaryOp::Exp}, {"log", UnaryOp::Log}, {"sqrt", UnaryOp::Sqrt}};
    static const std::map<std::string, ScalarType, std::less<>> casts = {
        {"f32", ScalarType::F32}, {"i32", ScalarType::I32}, {"i64", ScalarType::I64}};
    size_t arity = 0;
    if (unaries.count(fn) || casts.count(fn)) arity = 1;
    else if (fn == "min" || fn == "max") arity = 2;
    else if (fn == "select" || fn == "fma") arity = 3;
    else failAt(fnTok, fmt::format("expected an expression, found '{}' (not a function: use min, max, neg, abs, "
                                   "sign, tanh, exp, log, sqrt, select, f32, i32, i64)", fn));
    expect(Tok::LParen, fmt::format("'(' after {}", fn));
    std::vector<Expr> args;
    for (size_t i = 0; i < arity; ++i) {
      if (i > 0) expect(Tok::Comma, fmt::format("',' ({} takes {} arguments)", fn, arity));
      args.push_back(parseExpr());
    }
    expect(Tok::RParen, fmt::format("')' ({} takes {} argument{})", fn, arity, arity == 1 ? "" : "s"));
    return at(fnTok, [&]() -> Expr {
      if (auto u = unaries.find(fn); u != unaries.end()) return Unary::make(u->second, args[0]);
      if (auto c = casts.find(fn); c != casts.end()) return Cast::make(c->second, args[0]);
      if (arity == 2) return Binary::make(fn == "min" ? BinaryOp::Min : BinaryOp::Max, args[0], args[1]);
      if (fn == "fma") return MulAdd::make(args[0], args[1], args[2]);
      return Select::make(args[0], args[1], args[2]);
    });
  }

  Lexer lex_;
  Token tok_;
  Module module_;
  std::vector<std::string> scope_;  // enclosing loop variables, outermost first
  bool stepBound_ = false;          // in a training-loop kernel: %step is in scope
  int depth_ = 0;                   // Nesting's count
};

}  // namespace

Module parseModule(std::string_view text, const std::string& filename) { return Parser(text, filename).parseModule(); }

}  // namespace sigma

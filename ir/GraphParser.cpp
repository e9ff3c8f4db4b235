#include "ir/GraphParser.h"

#include <cctype>
#include <charconv>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <unordered_map>

#include "ir/Error.h"
#include "ir/FloatText.h"
#include "ir/ShapeRules.h"

namespace sigma {

namespace {

enum class Tok { End, Value /*%name*/, Global /*@name*/, Part /*#name*/, Word, Number, Punct };

struct Token {
  Tok kind = Tok::End;
  std::string text;  // as written, including a leading '%', '@' or '#'
  int line = 1, col = 1;

  std::string name() const { return text.substr(1); }  // for Value/Global/Part
  bool is(char punct) const { return kind == Tok::Punct && text.size() == 1 && text[0] == punct; }
  bool isWord(std::string_view w) const { return kind == Tok::Word && text == w; }
  std::string describe() const { return kind == Tok::End ? "end of input" : "'" + text + "'"; }
};

bool isNameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.'; }
bool isDigit(char c) { return std::isdigit(static_cast<unsigned char>(c)); }

constexpr int kNumOps = 0
#define SIGMA_OP(e, text, cls) +1
#include "ir/Ops.def"
    ;

std::string allOps() {
  std::string s;
  for (int i = 0; i < kNumOps; ++i) s += std::string(s.empty() ? "" : ", ") + opName(Op(i));
  return s;
}

class Parser {
 public:
  Parser(std::string_view text, const std::string& filename) : src_(text), file_(filename) { advance(); }

  Graph parse() {
    expectWord("graph", "'graph' at the start of the input");
    Token name = expect(Tok::Global, "the graph's name ('@name')");
    Graph g(name.name());
    expectPunct('{', "'{' after the graph's name");
    while (!tok_.is('}')) {
      if (tok_.kind == Tok::Value) {
        parseNode(g);
      } else if (tok_.isWord("output")) {
        parseOutput(g);
      } else if (tok_.isWord("update")) {
        parseUpdate(g);
      } else {
        error(tok_, "expected a node ('%name = ...'), 'output', 'update' or '}}' but found {}",
              tok_.describe());
      }
    }
    advance();
    if (tok_.kind != Tok::End)
      error(tok_, "expected end of input after the graph's '}}' but found {}", tok_.describe());
    return g;
  }

 private:
  struct Def {
    Node* node;
    int line, col;
  };

  // ---- errors ----
  template <typename... Args>
  [[noreturn]] void error(const Token& at, fmt::format_string<Args...> format, Args&&... args) {
    fail("{}:{}:{}: error: {}", file_, at.line, at.col, fmt::format(format, std::forward<Args>(args)...));
  }

  // ---- lexer ----
  char peekChar(size_t ahead = 0) const { return pos_ + ahead < src_.size() ? src_[pos_ + ahead] : '\0'; }
  void bump() {
    bool newline = src_[pos_++] == '\n';
    line_ += newline;
    col_ = newline ? 1 : col_ + 1;
  }
  void skipSpaceAndComments() {
    for (;;) {
      if (std::isspace(static_cast<unsigned char>(peekChar()))) {
        bump();
      } else if (peekChar() == '/' && peekChar(1) == '/') {
        while (pos_ < src_.size() && peekChar() != '\n') bump();
      } else {
        return;
      }
    }
  }
  void takeWhile(bool (*pred)(char)) {
    while (pos_ < src_.size() && pred(peekChar())) bump();
  }

  void advance() {
    skipSpaceAndComments();
    Token t;
    t.line = line_, t.col = col_;
    size_t start = pos_;
    char c = peekChar();
    if (pos_ >= src_.size()) {
      t.kind = Tok::End;
    } else if (c == '%' || c == '@' || c == '#') {
      t.kind = c == '%' ? Tok::Value : c == '@' ? Tok::Global : Tok::Part;
      bump();
      takeWhile(isNameChar);
      if (pos_ == start + 1) error(t, "expected a name after '{}' but found {}", c, describeNext());
    } else if (isDigit(c) || ((c == '-' || c == '.') && isNameChar(peekChar(1)))) {
      // A number: digits, '.', exponent; "-inf"/"-nan" too. Trailing name
      // characters are swallowed so a bad literal ("1.5f") is reported whole.
      t.kind = Tok::Number;
      bump();
      while (pos_ < src_.size()) {
        char d = peekChar();
        bool exponentSign = (d == '-' || d == '+') && (src_[pos_ - 1] == 'e' || src_[pos_ - 1] == 'E');
        if (!isNameChar(d) && !exponentSign) break;
        bump();
      }
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      t.kind = Tok::Word;
      takeWhile(isNameChar);
    } else if (std::string_view("{}[],=:").find(c) != std::string_view::npos) {
      t.kind = Tok::Punct;
      bump();
    } else {
      error(t, "unexpected character {}", describeNext());
    }
    // nan(0xBITS), a NaN other than the two quiet ones, is one token.
    std::string_view soFar = src_.substr(start, pos_ - start);
    if ((soFar == "nan" || soFar == "-nan") && pos_ < src_.size() && peekChar() == '(') {
      while (pos_ < src_.size() && peekChar() != ')' && peekChar() != '\n') bump();
      if (pos_ < src_.size() && peekChar() == ')') bump();
    }
    t.text = std::string(src_.substr(start, pos_ - start));
    tok_ = std::move(t);
  }

  std::string describeNext() const {
    if (pos_ >= src_.size()) return "end of input";
    char c = peekChar();
    if (std::isprint(static_cast<unsigned char>(c))) return fmt::format("'{}'", c);
    return fmt::format("byte 0x{:02x}", static_cast<unsigned char>(c));
  }

  // ---- token helpers ----
  Token take() {
    Token t = tok_;
    advance();
    return t;
  }
  Token expect(Tok kind, const char* what) {
    if (tok_.kind != kind) error(tok_, "expected {} but found {}", what, tok_.describe());
    return take();
  }
  Token expectPunct(char c, const std::string& what) {
    if (!tok_.is(c)) error(tok_, "expected {} but found {}", what, tok_.describe());
    return take();
  }
  void expectWord(std::string_view word, const char* what) {
    if (!tok_.isWord(word)) error(tok_, "expected {} but found {}", what, tok_.describe());
    advance();
  }

  // ---- values ----
  static bool isNumericName(const std::string& name) {
    for (char c : name)
      if (!isDigit(c)) return false;
    return !name.empty();
  }
  Node* use(const Token& t) {
    auto it = defs_.find(t.name());
    if (it == defs_.end()) error(t, "use of undefined value {}", t.text);
    return it->second.node;
  }
  Node* expectUse(const std::string& what) {
    if (tok_.kind != Tok::Value) error(tok_, "expected {} but found {}", what, tok_.describe());
    return use(take());
  }

  // ---- literals ----
  int64_t parseDim() {
    Token t = take();
    bool digits = t.kind == Tok::Number && !t.text.empty();
    for (char c : t.text) digits = digits && isDigit(c);
    if (!digits) error(t, "expected a dimension (a non-negative integer) but found {}", t.describe());
    int64_t v = 0;
    auto r = std::from_chars(t.text.data(), t.text.data() + t.text.size(), v);
    if (r.ec != std::errc()) error(t, "dimension {} is too large", t.text);
    return v;
  }

  float parseFloat() {
    Token t = take();
    if (t.kind == Tok::Word && (t.text == "inf" || t.text == "nan"))
      return t.text == "inf" ? std::numeric_limits<float>::infinity()
                             : std::numeric_limits<float>::quiet_NaN();
    if (t.text.starts_with("nan(") || t.text.starts_with("-nan(")) {
      bool negative = t.text[0] == '-';
      std::string_view inside = std::string_view(t.text).substr(negative ? 5 : 4);
      std::optional<float> nan;
      if (inside.ends_with(')')) nan = nanFromBits(inside.substr(0, inside.size() - 1));
      if (!nan) error(t, "{} is not a NaN: nan(0xBITS) takes the 32 bits of an f32 NaN, as in nan(0x7fc00001)", t.text);
      return negative ? -*nan : *nan;
    }
    if (t.kind != Tok::Number) error(t, "expected a number but found {}", t.describe());
    float v = 0;
    const char *b = t.text.data(), *e = b + t.text.size();
    auto r = std::from_chars(b, e, v);
    if (r.ec == std::errc::result_out_of_range) error(t, "number {} is out of range for f32", t.text);
    if (r.ec != std::errc() || r.ptr != e) error(t, "expected a number but found {}", t.describe());
    return v;
  }

  TensorType parseType() {
    TensorType type;
    if (tok_.kind != Tok::Word || !parseDType(tok_.text, type.dtype))
      error(tok_, "expected a type (f32[...] or i32[...]) but found {}", tok_.describe());
    advance();
    expectPunct('[', "'[' and the shape after the element type");
    if (!tok_.is(']')) {
      type.shape.push_back(parseDim());
      while (tok_.is(',')) advance(), type.shape.push_back(parseDim());
    }
    Token close = expectPunct(']', "',' or ']' in the shape");
    // Element counts must fit int64_t: every consumer multiplies dimensions.
    int64_t count = 1;
    for (int64_t d : type.shape)
      if (__builtin_mul_overflow(count, d, &count)) error(close, "type {} has too many elements", type.str());
    return type;
  }

  std::vector<float> parseConstValues() {
    if (!tok_.is('[')) return {parseFloat()};
    advance();
    std::vector<float> values;
    if (!tok_.is(']')) {
      values.push_back(parseFloat());
      while (tok_.is(',')) advance(), values.push_back(parseFloat());
    }
    expectPunct(']', "',' or ']' in the constant's values");
    return values;
  }

  // transpose's {perm=[1,0]}: required, one integer per dimension.
  std::vector<int64_t> parsePerm() {
    expectPunct('{', "'{perm=[...]}' after the operand of transpose");
    Token a = expect(Tok::Word, "the attribute perm");
    if (a.text != "perm") error(a, "expected the attribute perm but found {}", a.describe());
    expectPunct('=', "'=' after perm");
    expectPunct('[', "'[' and the permutation after perm=");
    std::vector<int64_t> perm;
    if (!tok_.is(']')) {
      perm.push_back(parseDim());
      while (tok_.is(',')) advance(), perm.push_back(parseDim());
    }
    expectPunct(']', "',' or ']' in the permutation");
    expectPunct('}', "'}' after the permutation");
    return perm;
  }

  OpAttrs parseAttrs(Op op) {
    OpAttrs attrs;
    if (op == Op::Transpose) return attrs.perm = parsePerm(), attrs;
    if (!tok_.is('{')) return attrs;
    if (op != Op::MatMul) error(tok_, "{} takes no attributes but found '{{'", opName(op));
    advance();
    do {
      Token a = expect(Tok::Word, "an attribute (transpose_a or transpose_b)");
      if (a.text != "transpose_a" && a.text != "transpose_b")
        error(a, "expected an attribute (transpose_a or transpose_b) but found {}", a.describe());
      bool& flag = a.text == "transpose_a" ? attrs.transposeA : attrs.transposeB;
      if (flag) error(a, "attribute {} is given twice", a.text);
      flag = true;
    } while (tok_.is(',') && (advance(), true));
    expectPunct('}', "',' or '}' after an attribute");
    return attrs;
  }

  Part parsePart() {
    if (tok_.kind != Tok::Part) return Part::Forward;
    Token t = take();
    for (Part p : {Part::Forward, Part::Backward, Part::Penalty, Part::Update, Part::Stats})
      if (t.name() == partName(p)) return p;
    error(t, "expected a part (#forward, #backward, #penalty, #update or #stats) but found {}", t.describe());
  }

  // ---- statements ----
  void define(const Token& name, Node* node) { defs_[name.name()] = {node, name.line, name.col}; }

  void parseNode(Graph& g) {
    Token name = take();
    if (auto it = defs_.find(name.name()); it != defs_.end())
      error(name, "redefinition of value {} (first defined at {}:{})", name.text, it->second.line,
            it->second.col);
    expectPunct('=', fmt::format("'=' after {}", name.text));
    if (tok_.kind != Tok::Word) error(tok_, "expected an op ({}) but found {}", allOps(), tok_.describe());
    Token opTok = take();
    Op op;
    if (!parseOp(opTok.text, op))
      error(opTok, "expected an op ({}) but found {}", allOps(), opTok.describe());

    std::vector<float> values;
    if (op == Op::Constant) values = parseConstValues();
    std::vector<Node*> operands;
    int arity = opArity(op);
    for (int i = 0; i < arity; ++i) {
      if (i > 0) expectPunct(',', fmt::format("',' and another operand ({} takes {})", opName(op), arity));
      operands.push_back(expectUse(fmt::format("an operand ('%name') for {}", opName(op))));
    }
    OpAttrs attrs = parseAttrs(op);
    std::string colonWhat = arity == 0
                                ? fmt::format("':' and the type after {}", opTok.describe())
                                : fmt::format("':' and the type after the operand{} of {} (it takes {})",
                                              arity > 1 ? "s" : "", opName(op), arity);
    if (op == Op::MatMul) colonWhat += " or its attributes";
    expectPunct(':', colonWhat);
    Token typeTok = tok_;
    TensorType declared = parseType();
    Part part = parsePart();

    Node* node = build(g, opTok, op, operands, declared, std::move(values), attrs, part);
    if (node->type != declared) {
      std::vector<TensorType> types;
      for (Node* n : operands) types.push_back(n->type);
      error(typeTok, "type mismatch: {} is declared {} but {} gives {}", name.text, declared.str(),
            describeApplication(op, types, attrs), node->type.str());
    }
    if (!isNumericName(name.name())) node->name = name.name();
    define(name, node);
  }

  // Builds through Graph's builders so that the shape rules run; their
  // errors (op and operand types) get the op's location.
  Node* build(Graph& g, const Token& at, Op op, const std::vector<Node*>& in, const TensorType& declared,
              std::vector<float> values, const OpAttrs& attrs, Part part) {
    g.currentPart = part;
    try {
      Node* n = nullptr;
      switch (opClass(op)) {
        case OpClass::Leaf:
          n = op == Op::Input       ? g.input("", declared)
              : op == Op::Parameter ? g.parameter("", declared)
                                    : g.constant(declared, std::move(values));
          break;
        case OpClass::Unary:
          n = g.unary(op, in[0]);
          break;
        case OpClass::Binary:
          n = g.binary(op, in[0], in[1]);
          break;
        case OpClass::Broadcast:
          n = g.broadcast(in[0], declared.shape);
          break;
        case OpClass::Reduce:
          n = g.reduce(op, in[0], declared.shape);
          break;
        case OpClass::MatMul:
          n = g.matmul(in[0], in[1], attrs.transposeA, attrs.transposeB);
          break;
        case OpClass::Transpose:
          n = g.transpose(in[0], attrs.perm);
          break;
        case OpClass::Reshape:
          n = g.reshape(in[0], declared.shape);
          break;
        case OpClass::Gather:
          n = g.gather(in[0], in[1]);
          break;
        case OpClass::Scatter:
          n = g.scatterAdd(in[0], in[1], declared.shape);
          break;
      }
      g.currentPart = Part::Forward;
      return n;
    } catch (const Error& e) {
      error(at, "{}", e.what());
    }
  }

  void parseOutput(Graph& g) {
    advance();
    Token name = expect(Tok::Value, "the output's name ('%name')");
    expectPunct('=', fmt::format("'=' after output {}", name.text));
    Node* value = expectUse("the output's value ('%name')");
    for (const auto& o : g.outputs())
      if (o.name == name.name()) error(name, "output {} is defined twice", name.text);
    g.addOutput(name.name(), value);
  }

  void parseUpdate(Graph& g) {
    advance();
    if (tok_.kind != Tok::Value)
      error(tok_, "expected the updated parameter ('%name') but found {}", tok_.describe());
    Token paramTok = tok_;
    Node* param = use(take());
    expectPunct('=', fmt::format("'=' after update {}", paramTok.text));
    Token valueTok = tok_;
    Node* value = expectUse("the parameter's new value ('%name')");
    if (param->op != Op::Parameter)
      error(paramTok, "cannot update {}: it is defined by {}, only parameters can be updated", paramTok.text,
            opName(param->op));
    if (param->type != value->type)
      error(valueTok, "update of {}: the new value {} has type {} but the parameter is {}", paramTok.text,
            valueTok.text, value->type.str(), param->type.str());
    if (auto [it, fresh] = updated_.try_emplace(param, paramTok); !fresh)
      error(paramTok, "parameter {} is updated twice (first at {}:{})", paramTok.text, it->second.line,
            it->second.col);
    g.addUpdate(param, value);
  }

  std::string_view src_;
  std::string file_;
  size_t pos_ = 0;
  int line_ = 1, col_ = 1;
  Token tok_;
  std::unordered_map<std::string, Def> defs_;
  std::unordered_map<const Node*, Token> updated_;
};

}  // namespace

Graph parseGraph(std::string_view text, const std::string& filename) {
  return Parser(text, filename).parse();
}

Graph parseGraphFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("{}: error: cannot open the file", path);
  std::ostringstream text;
  text << in.rdbuf();
  return parseGraph(text.str(), path);
}

}  // namespace sigma

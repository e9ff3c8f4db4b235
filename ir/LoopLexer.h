// The loop IR's lexer (the text form is described in ir/LoopPrinter.h): the
// tokens ir/LoopParser.cpp reads, each with its line and column so that
// every error names a place. Internal to the parser.
//
// One lexical subtlety: '%' directly followed by a name character starts a
// name (%x, %"a b"), so the remainder operator needs a space after it.
#pragma once

#include <charconv>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "ir/Error.h"

namespace sigma::looptext {

enum class Tok {
  End, LocalName, GlobalName, Ident, Int, Float,
  LBrace, RBrace, LBracket, RBracket, LParen, RParen, Comma, Colon, Assign, DotDot,
  Plus, Minus, Star, Slash, Percent, Lt, Le, EqEq, Ne,
};

struct Token {
  Tok kind = Tok::End;
  std::string text;  // the source spelling, for "found '...'"
  std::string name;  // LocalName / GlobalName: the decoded name
  int line = 1, col = 1;
};

inline bool isNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
}
inline bool isDigit(char c) { return c >= '0' && c <= '9'; }
inline bool isHexDigit(char c) { return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
inline bool isIdentStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }

class Lexer {
 public:
  Lexer(std::string_view text, const std::string& file) : text_(text), file_(file) {}

  [[noreturn]] void fail(int line, int col, const std::string& message) const {
    throw Error(fmt::format("{}:{}:{}: error: {}", file_, line, col, message));
  }

  Token next() {
    skipSpaceAndComments();
    Token t;
    t.line = line_, t.col = col_;
    size_t start = pos_;
    if (pos_ >= text_.size()) return t;  // End
    char c = text_[pos_];
    auto single = [&](Tok kind, size_t length = 1) {
      advance(length);
      t.kind = kind;
    };
    if ((c == '%' || c == '@') && (isNameChar(peek(1)) || peek(1) == '"')) {
      advance(1);
      t.kind = c == '%' ? Tok::LocalName : Tok::GlobalName;
      t.name = peek(0) == '"' ? quoted(t) : word(isNameChar);
    } else if (isIdentStart(c)) {
      t.kind = Tok::Ident;
      word([](char ch) { return isIdentStart(ch) || isDigit(ch); });
    } else if (isDigit(c)) {
      number(t);
    } else if (c == '.' && peek(1) == '.') single(Tok::DotDot, 2);
    else if (c == '<' && peek(1) == '=') single(Tok::Le, 2);
    else if (c == '=' && peek(1) == '=') single(Tok::EqEq, 2);
    else if (c == '!' && peek(1) == '=') single(Tok::Ne, 2);
    else {
      static const std::map<char, Tok> singles = {
          {'{', Tok::LBrace}, {'}', Tok::RBrace}, {'[', Tok::LBracket}, {']', Tok::RBracket},
          {'(', Tok::LParen}, {')', Tok::RParen}, {',', Tok::Comma}, {':', Tok::Colon},
          {'=', Tok::Assign}, {'+', Tok::Plus}, {'-', Tok::Minus}, {'*', Tok::Star},
          {'/', Tok::Slash}, {'%', Tok::Percent}, {'<', Tok::Lt}};
      auto it = singles.find(c);
      if (it == singles.end()) fail(line_, col_, fmt::format("unexpected character '{}'", c));
      single(it->second);
    }
    t.text = std::string(text_.substr(start, pos_ - start));
    return t;
  }

 private:
  char peek(size_t ahead) const { return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0'; }

  void advance(size_t n) {
    for (; n > 0 && pos_ < text_.size(); --n, ++pos_) {
      if (text_[pos_] == '\n')
        ++line_, col_ = 1;
      else
        ++col_;
    }
  }

  void skipSpaceAndComments() {
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
        advance(1);
      else if (c == '/' && peek(1) == '/')
        while (pos_ < text_.size() && text_[pos_] != '\n') advance(1);
      else
        break;
    }
  }

  template <typename Pred>
  std::string word(Pred pred) {
    size_t start = pos_;
    while (pos_ < text_.size() && pred(text_[pos_])) advance(1);
    return std::string(text_.substr(start, pos_ - start));
  }

  // "..." with the printer's escapes: \" \\ \xHH.
  std::string quoted(const Token& t) {
    advance(1);
    std::string out;
    while (true) {
      if (pos_ >= text_.size() || peek(0) == '\n') fail(t.line, t.col, "unterminated quoted name");
      char c = peek(0);
      if (c == '"') break;
      if (c == '\\' && (peek(1) == '"' || peek(1) == '\\')) {
        out += peek(1);
        advance(2);
      } else if (c == '\\' && peek(1) == 'x' && isHexDigit(peek(2)) && isHexDigit(peek(3))) {
        out += char(std::stoi(std::string(text_.substr(pos_ + 2, 2)), nullptr, 16));
        advance(4);
      } else if (c == '\\') {
        fail(line_, col_, "unknown escape in a quoted name (use \\\" \\\\ or \\xHH)");
      } else {
        out += c;
        advance(1);
      }
    }
    advance(1);
    if (out.empty()) fail(t.line, t.col, "empty quoted name");
    return out;
  }

  // digits ['.' digits] [e [+-] digits], or 0x hexdigits. A '.' must be
  // followed by a digit, so that `0..4` lexes as 0, .., 4.
  void number(Token& t) {
    t.kind = Tok::Int;
    if (peek(0) == '0' && peek(1) == 'x' && isHexDigit(peek(2))) {
      advance(2);
      word(isHexDigit);
      return;
    }
    word(isDigit);
    if (peek(0) == '.' && isDigit(peek(1))) {
      t.kind = Tok::Float;
      advance(1);
      word(isDigit);
    }
    if ((peek(0) == 'e' || peek(0) == 'E') &&
        (isDigit(peek(1)) || ((peek(1) == '+' || peek(1) == '-') && isDigit(peek(2))))) {
      t.kind = Tok::Float;
      advance(2);
      word(isDigit);
    }
  }

  std::string_view text_;
  const std::string& file_;
  size_t pos_ = 0;
  int line_ = 1, col_ = 1;
};

}  // namespace sigma::looptext

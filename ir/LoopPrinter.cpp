#include "ir/LoopPrinter.h"

#include <bit>
#include <cmath>
#include <cstdint>
#include <initializer_list>

#include <fmt/format.h>

namespace sigma {

using namespace loop;

namespace {

bool isBareNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
}

// Binding strength of an expression when printed: comparisons bind loosest,
// then + -, then * / %; everything else (literals, loads, calls) is atomic.
// The parser (LoopParser.cpp) implements the same table.
enum Prec { Compare = 0, Additive = 1, Multiplicative = 2, Atom = 3 };

Prec precedence(BinaryOp op) {
  switch (op) {
    case BinaryOp::Add:
    case BinaryOp::Sub: return Additive;
    case BinaryOp::Mul:
    case BinaryOp::Div:
    case BinaryOp::Mod: return Multiplicative;
    case BinaryOp::Min:
    case BinaryOp::Max: return Atom;  // printed as calls
    default: return Compare;
  }
}

Prec precedence(const Expr& e) {
  const Binary* b = as<Binary>(e);
  return b ? precedence(b->op) : Atom;
}

const char* infixSymbol(BinaryOp op) {
  switch (op) {
    case BinaryOp::Add: return "+";
    case BinaryOp::Sub: return "-";
    case BinaryOp::Mul: return "*";
    case BinaryOp::Div: return "/";
    case BinaryOp::Mod: return "%";
    case BinaryOp::Lt: return "<";
    case BinaryOp::Le: return "<=";
    case BinaryOp::Eq: return "==";
    case BinaryOp::Ne: return "!=";
    default: return nullptr;  // min, max: calls
  }
}

class ExprPrinter {
 public:
  std::string out;

  void print(const Expr& e) {
    if (!e) {
      out += "<null>";
      return;
    }
    switch (e->kind) {
      case ExprKind::FloatImm: out += printFloat(as<FloatImm>(e)->value); return;
      case ExprKind::IntImm: out += fmt::format("{}", as<IntImm>(e)->value); return;
      case ExprKind::Var: out += printName('%', as<Var>(e)->name); return;
      case ExprKind::Load: {
        const Load* l = as<Load>(e);
        out += printName('%', l->buffer);
        out += '[';
        print(l->index);
        out += ']';
        return;
      }
      case ExprKind::Unary: {
        const Unary* u = as<Unary>(e);
        return call(unaryOpName(u->op), {u->a});
      }
      case ExprKind::Binary: return binary(*as<Binary>(e));
      case ExprKind::Select: {
        const Select* s = as<Select>(e);
        return call("select", {s->cond, s->trueValue, s->falseValue});
      }
      case ExprKind::Cast: return call(scalarTypeName(e->type), {as<Cast>(e)->a});
      case ExprKind::MulAdd: {
        const MulAdd* m = as<MulAdd>(e);
        return call("fma", {m->a, m->b, m->c});
      }
    }
  }

 private:
  void call(const char* name, std::initializer_list<Expr> args) {
    out += name;
    out += '(';
    bool first = true;
    for (const Expr& a : args) {
      if (!first) out += ", ";
      first = false;
      print(a);
    }
    out += ')';
  }

  void operand(const Expr& e, bool parens) {
    if (parens) out += '(';
    print(e);
    if (parens) out += ')';
  }

  // Operators are left-associative, so a right operand of equal strength
  // keeps its parentheses: a - (b - c), a + (b + c) (the tree must survive
  // the round trip even where the math is associative). Comparisons do not
  // chain at all.
  void binary(const Binary& b) {
    const char* symbol = infixSymbol(b.op);
    if (!symbol) return call(b.op == BinaryOp::Min ? "min" : "max", {b.a, b.b});
    Prec p = precedence(b.op);
    operand(b.a, precedence(b.a) < p || (p == Compare && precedence(b.a) == Compare));
    out += fmt::format(" {} ", symbol);
    operand(b.b, precedence(b.b) <= p);
  }
};

void printStmtTo(std::string& out, const Stmt& s, int indent) {
  std::string pad(size_t(std::max(indent, 0)), ' ');
  if (!s) {
    out += pad + "<null>\n";
    return;
  }
  switch (s->kind) {
    case StmtKind::For: {
      const For* f = as<For>(s);
      out += fmt::format("{}for {} in 0..{}{} {{\n", pad, printName('%', f->var), f->extent, f->parallel ? " parallel" : "");
      printStmtTo(out, f->body, indent + 2);
      out += pad + "}\n";
      return;
    }
    case StmtKind::Store: {
      const Store* st = as<Store>(s);
      out += fmt::format("{}{}[{}] = {}\n", pad, printName('%', st->buffer), printExpr(st->index),
                         printExpr(st->value));
      return;
    }
    case StmtKind::Block:
      for (const Stmt& child : as<Block>(s)->stmts) printStmtTo(out, child, indent);
      return;
    case StmtKind::Prefetch: {
      const Prefetch* p = as<Prefetch>(s);
      out += fmt::format("{}prefetch {}[{}]\n", pad, printName('%', p->buffer), printExpr(p->index));
      return;
    }
  }
}

// Long init lists wrap so that dumps stay readable; the parser ignores
// whitespace, so the wrapping does not matter to the round trip.
constexpr size_t kInitValuesPerLine = 16;

}  // namespace

std::string printName(char sigil, const std::string& name) {
  bool bare = !name.empty();
  for (char c : name) bare = bare && isBareNameChar(c);
  if (bare) return sigil + name;
  std::string out{sigil, '"'};
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\')
      out += {'\\', c};
    else if (u < 0x20 || u >= 0x7f)
      out += fmt::format("\\x{:02x}", u);
    else
      out += c;
  }
  return out + '"';
}

std::string printExpr(const Expr& expr) {
  ExprPrinter p;
  p.print(expr);
  return std::move(p.out);
}

std::string printStmt(const Stmt& stmt, int indent) {
  std::string out;
  printStmtTo(out, stmt, indent);
  return out;
}

std::string printModule(const Module& module) {
  std::string out = fmt::format("module {} {{\n", printName('@', module.name));
  for (const Buffer& b : module.buffers) {
    // An extern buffer's size is bound at run time: `f32[] extern`.
    out += fmt::format("  buffer {} : {}[{}] {}", printName('%', b.name), scalarTypeName(b.type),
                       b.kind == BufferKind::Extern ? std::string() : std::to_string(b.size), bufferKindName(b.kind));
    if (b.offset >= 0) out += fmt::format(" at {}", b.offset);
    if (!b.init.empty()) {
      out += " = [";
      for (size_t i = 0; i < b.init.size(); ++i) {
        if (i > 0) out += i % kInitValuesPerLine == 0 ? ",\n      " : ", ";
        out += printFloat(b.init[i], false);
      }
      out += ']';
    }
    out += '\n';
  }
  for (const Kernel& k : module.kernels) {
    out += fmt::format("  kernel {}", printName('@', k.name));
    if (k.role != KernelRole::Step) out += fmt::format(" {}", kernelRoleName(k.role));
    if (!k.origin.empty()) {
      out += " from(";
      for (size_t i = 0; i < k.origin.size(); ++i) out += (i ? ", " : "") + printName('%', k.origin[i]);
      out += ')';
    }
    out += " {\n";
    printStmtTo(out, k.body, 4);
    out += "  }\n";
  }
  return out + "}\n";
}

}  // namespace sigma

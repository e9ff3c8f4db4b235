#include "passes/LoopAnalysis.h"

#include <algorithm>
#include <functional>

#include "ir/IRVisitor.h"

namespace sigma {

using namespace loop;

LinearForm linearize(const Expr& e) {
  LinearForm f;
  if (const auto* imm = as<IntImm>(e)) {
    f.constant = imm->value;
  } else if (const auto* v = as<Var>(e)) {
    f.coeffs[v->name] = 1;
  } else if (const auto* b = as<Binary>(e); b && (b->op == BinaryOp::Add || b->op == BinaryOp::Sub)) {
    LinearForm l = linearize(b->a), r = linearize(b->b);
    int64_t sign = b->op == BinaryOp::Add ? 1 : -1;
    f = l;
    f.affine = l.affine && r.affine;
    for (auto& [var, c] : r.coeffs) f.coeffs[var] += sign * c;
    f.constant += sign * r.constant;
  } else if (b && b->op == BinaryOp::Mul) {
    LinearForm l = linearize(b->a), r = linearize(b->b);
    if (!l.affine || !r.affine || (!l.coeffs.empty() && !r.coeffs.empty())) return {{}, 0, false};
    const LinearForm& scaled = l.coeffs.empty() ? r : l;
    int64_t factor = l.coeffs.empty() ? l.constant : r.constant;
    for (auto& [var, c] : scaled.coeffs) f.coeffs[var] = c * factor;
    f.constant = scaled.constant * factor;
  } else {
    f.affine = false;
  }
  std::erase_if(f.coeffs, [](const auto& kv) { return kv.second == 0; });
  return f;
}

LoopNest perfectNest(const Stmt& stmt) {
  LoopNest nest;
  Stmt s = stmt;
  while (const For* f = as<For>(s)) {
    nest.vars.push_back(f->var);
    nest.extents.push_back(f->extent);
    s = f->body;
  }
  nest.body = s;
  return nest;
}

Stmt wrapNest(const std::vector<std::string>& vars, const std::vector<int64_t>& extents, Stmt body) {
  for (size_t d = vars.size(); d-- > 0;) body = For::make(vars[d], extents[d], body);
  return body;
}

namespace {
class AccessCollector : public IRVisitor {
 public:
  std::vector<Access> accesses;
  using IRVisitor::visit;

 protected:
  void visit(const Load* op) override {
    accesses.push_back({op->buffer, false, op->index});
    IRVisitor::visit(op);
  }
  void visit(const Store* op) override {
    IRVisitor::visit(op);  // the value and index are read before the store happens
    accesses.push_back({op->buffer, true, op->index});
  }
};
}  // namespace

std::vector<Access> collectAccesses(const Stmt& stmt) {
  AccessCollector c;
  c.visit(stmt);
  return c.accesses;
}
std::vector<Access> collectAccesses(const Expr& expr) {
  AccessCollector c;
  c.visit(expr);
  return c.accesses;
}

std::set<std::string> buffersRead(const Stmt& stmt) {
  std::set<std::string> out;
  for (const Access& a : collectAccesses(stmt))
    if (!a.write) out.insert(a.buffer);
  return out;
}
std::set<std::string> buffersWritten(const Stmt& stmt) {
  std::set<std::string> out;
  for (const Access& a : collectAccesses(stmt))
    if (a.write) out.insert(a.buffer);
  return out;
}
std::set<std::string> buffersRead(const Kernel& k) { return buffersRead(k.body); }
std::set<std::string> buffersWritten(const Kernel& k) { return buffersWritten(k.body); }

bool conflicts(const std::set<std::string>& ra, const std::set<std::string>& wa, const std::set<std::string>& rb,
               const std::set<std::string>& wb) {
  for (const std::string& w : wa)
    if (rb.count(w) || wb.count(w)) return true;
  for (const std::string& w : wb)
    if (ra.count(w)) return true;
  return false;
}

bool isInjective(const LinearForm& form, const std::vector<std::string>& vars, const std::vector<int64_t>& extents) {
  if (!form.affine || form.constant != 0) return false;
  // Every variable of an extent > 1 must appear (else two iterations share an
  // element); sorted by coefficient, each must exceed the span of the smaller ones.
  std::vector<std::pair<int64_t, int64_t>> terms;  // (coefficient, extent)
  for (size_t d = 0; d < vars.size(); ++d) {
    auto it = form.coeffs.find(vars[d]);
    if (extents[d] > 1 && (it == form.coeffs.end() || it->second <= 0)) return false;
    if (it != form.coeffs.end()) terms.push_back({it->second, extents[d]});
  }
  if (terms.size() != form.coeffs.size()) return false;  // an index uses a variable outside the nest
  std::sort(terms.begin(), terms.end());
  int64_t span = 0;  // the largest index reachable by the smaller terms
  for (auto [coeff, extent] : terms) {
    if (coeff <= span) return false;
    span += coeff * (extent - 1);
  }
  return true;
}

namespace {
class VarRenamer : public IRMutator {
 public:
  explicit VarRenamer(const std::map<std::string, std::string>& r) : renames_(r) {}
  using IRMutator::mutate;

 protected:
  Expr visit(const Var* op, const Expr& self) override {
    auto it = renames_.find(op->name);
    return it == renames_.end() ? self : Var::make(it->second);
  }
  Stmt visit(const For* op, const Stmt& self) override {
    auto it = renames_.find(op->var);
    Stmt body = mutate(op->body);
    if (it == renames_.end() && body == op->body) return self;
    return For::make(it == renames_.end() ? op->var : it->second, op->extent, body);
  }

 private:
  const std::map<std::string, std::string>& renames_;
};

class LoadReplacer : public IRMutator {
 public:
  LoadReplacer(const std::string& b, const std::function<Expr(const Expr&)>& r) : buffer_(b), replace_(r) {}
  using IRMutator::mutate;

 protected:
  Expr visit(const Load* op, const Expr& self) override {
    Expr index = mutate(op->index);
    if (op->buffer == buffer_) return replace_(index);
    return index == op->index ? self : Load::make(op->buffer, op->type, index);
  }

 private:
  const std::string& buffer_;
  const std::function<Expr(const Expr&)>& replace_;
};
}  // namespace

Stmt renameVars(const Stmt& stmt, const std::map<std::string, std::string>& renames) {
  return VarRenamer(renames).mutate(stmt);
}
Expr renameVars(const Expr& expr, const std::map<std::string, std::string>& renames) {
  return VarRenamer(renames).mutate(expr);
}

Stmt substituteVar(const Stmt& stmt, const std::string& var, const Expr& value) {
  struct Sub : IRMutator {
    const std::string& var;
    const Expr& value;
    Sub(const std::string& v, const Expr& e) : var(v), value(e) {}
    using IRMutator::mutate;
    Expr visit(const Var* op, const Expr& self) override { return op->name == var ? value : self; }
  } sub(var, value);
  return sub.mutate(stmt);
}

Stmt splitOuterLoop(const Stmt& stmt, int64_t factor) {
  const For* f = as<For>(stmt);
  if (!f || factor <= 1 || f->extent % factor != 0) return nullptr;
  std::string outer = f->var + ".o", inner = f->var + ".i";
  Stmt body = substituteVar(f->body, f->var, Var::make(outer) * i64(factor) + Var::make(inner));
  return For::make(outer, f->extent / factor, For::make(inner, factor, body));
}

Stmt replaceLoads(const Stmt& stmt, const std::string& buffer, const std::function<Expr(const Expr&)>& replace) {
  return LoadReplacer(buffer, replace).mutate(stmt);
}

std::vector<Stmt> topLevelStatements(const Stmt& body) {
  if (const Block* b = as<Block>(body)) {
    std::vector<Stmt> out;
    for (const Stmt& s : b->stmts)
      for (const Stmt& t : topLevelStatements(s)) out.push_back(t);
    return out;
  }
  return {body};
}

void rewriteTopLevelStatements(Kernel& kernel, const std::function<std::vector<Stmt>(const Stmt&)>& rewrite) {
  std::vector<Stmt> out;
  bool changed = false;
  for (const Stmt& s : topLevelStatements(kernel.body)) {
    std::vector<Stmt> replaced = rewrite(s);
    changed |= replaced.size() != 1 || replaced[0] != s;
    out.insert(out.end(), replaced.begin(), replaced.end());
  }
  if (changed) kernel.body = Block::make(out);
}

}  // namespace sigma

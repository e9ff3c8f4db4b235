#include "ir/IRVisitor.h"

namespace sigma::loop {

void IRVisitor::visit(const Expr& e) {
  switch (e->kind) {
    case ExprKind::FloatImm: return visit(static_cast<const FloatImm*>(e.get()));
    case ExprKind::IntImm: return visit(static_cast<const IntImm*>(e.get()));
    case ExprKind::Var: return visit(static_cast<const Var*>(e.get()));
    case ExprKind::Load: return visit(static_cast<const Load*>(e.get()));
    case ExprKind::Unary: return visit(static_cast<const Unary*>(e.get()));
    case ExprKind::Binary: return visit(static_cast<const Binary*>(e.get()));
    case ExprKind::Select: return visit(static_cast<const Select*>(e.get()));
    case ExprKind::Cast: return visit(static_cast<const Cast*>(e.get()));
    case ExprKind::MulAdd: return visit(static_cast<const MulAdd*>(e.get()));
  }
}

void IRVisitor::visit(const Stmt& s) {
  switch (s->kind) {
    case StmtKind::For: return visit(static_cast<const For*>(s.get()));
    case StmtKind::Store: return visit(static_cast<const Store*>(s.get()));
    case StmtKind::Block: return visit(static_cast<const Block*>(s.get()));
    case StmtKind::Prefetch: return visit(static_cast<const Prefetch*>(s.get()));
  }
}

void IRVisitor::visit(const Load* op) { visit(op->index); }
void IRVisitor::visit(const Unary* op) { visit(op->a); }
void IRVisitor::visit(const Binary* op) { visit(op->a), visit(op->b); }
void IRVisitor::visit(const Select* op) { visit(op->cond), visit(op->trueValue), visit(op->falseValue); }
void IRVisitor::visit(const Cast* op) { visit(op->a); }
void IRVisitor::visit(const MulAdd* op) { visit(op->a), visit(op->b), visit(op->c); }
void IRVisitor::visit(const For* op) { visit(op->body); }
void IRVisitor::visit(const Store* op) { visit(op->index), visit(op->value); }
void IRVisitor::visit(const Prefetch* op) { visit(op->index); }
void IRVisitor::visit(const Block* op) {
  for (const Stmt& s : op->stmts) visit(s);
}

Expr IRMutator::mutate(const Expr& e) {
  switch (e->kind) {
    case ExprKind::FloatImm: return visit(static_cast<const FloatImm*>(e.get()), e);
    case ExprKind::IntImm: return visit(static_cast<const IntImm*>(e.get()), e);
    case ExprKind::Var: return visit(static_cast<const Var*>(e.get()), e);
    case ExprKind::Load: return visit(static_cast<const Load*>(e.get()), e);
    case ExprKind::Unary: return visit(static_cast<const Unary*>(e.get()), e);
    case ExprKind::Binary: return visit(static_cast<const Binary*>(e.get()), e);
    case ExprKind::Select: return visit(static_cast<const Select*>(e.get()), e);
    case ExprKind::Cast: return visit(static_cast<const Cast*>(e.get()), e);
    case ExprKind::MulAdd: return visit(static_cast<const MulAdd*>(e.get()), e);
  }
  return e;
}

Stmt IRMutator::mutate(const Stmt& s) {
  switch (s->kind) {
    case StmtKind::For: return visit(static_cast<const For*>(s.get()), s);
    case StmtKind::Store: return visit(static_cast<const Store*>(s.get()), s);
    case StmtKind::Block: return visit(static_cast<const Block*>(s.get()), s);
    case StmtKind::Prefetch: return visit(static_cast<const Prefetch*>(s.get()), s);
  }
  return s;
}

Expr IRMutator::visit(const Load* op, const Expr& self) {
  Expr index = mutate(op->index);
  return index == op->index ? self : Load::make(op->buffer, op->type, index);
}
Expr IRMutator::visit(const Unary* op, const Expr& self) {
  Expr a = mutate(op->a);
  return a == op->a ? self : Unary::make(op->op, a);
}
Expr IRMutator::visit(const Binary* op, const Expr& self) {
  Expr a = mutate(op->a), b = mutate(op->b);
  return a == op->a && b == op->b ? self : Binary::make(op->op, a, b);
}
Expr IRMutator::visit(const Select* op, const Expr& self) {
  Expr c = mutate(op->cond), t = mutate(op->trueValue), f = mutate(op->falseValue);
  return c == op->cond && t == op->trueValue && f == op->falseValue ? self : Select::make(c, t, f);
}
Expr IRMutator::visit(const Cast* op, const Expr& self) {
  Expr a = mutate(op->a);
  return a == op->a ? self : Cast::make(op->type, a);
}
Expr IRMutator::visit(const MulAdd* op, const Expr& self) {
  Expr a = mutate(op->a), b = mutate(op->b), c = mutate(op->c);
  return a == op->a && b == op->b && c == op->c ? self : MulAdd::make(a, b, c);
}
Stmt IRMutator::visit(const For* op, const Stmt& self) {
  Stmt body = mutate(op->body);
  return body == op->body ? self : For::make(op->var, op->extent, body, op->parallel);
}
Stmt IRMutator::visit(const Store* op, const Stmt& self) {
  Expr index = mutate(op->index), value = mutate(op->value);
  return index == op->index && value == op->value ? self : Store::make(op->buffer, index, value);
}
Stmt IRMutator::visit(const Prefetch* op, const Stmt& self) {
  Expr index = mutate(op->index);
  return index == op->index ? self : Prefetch::make(op->buffer, index);
}
Stmt IRMutator::visit(const Block* op, const Stmt& self) {
  std::vector<Stmt> stmts;
  bool changed = false;
  for (const Stmt& s : op->stmts) {
    stmts.push_back(mutate(s));
    changed |= stmts.back() != s;
  }
  return changed ? Block::make(std::move(stmts)) : self;
}

}  // namespace sigma::loop

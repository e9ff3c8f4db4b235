// Walking and rewriting the loop IR (Halide's IRVisitor / IRMutator).
//
// IRVisitor visits every node; override the visit() for the nodes you care
// about and call the base version to keep descending. IRMutator rebuilds a
// tree bottom-up; a node whose children did not change is returned as is, so
// an unchanged tree is shared, not copied.
#pragma once

#include "ir/LoopIR.h"

namespace sigma::loop {

class IRVisitor {
 public:
  virtual ~IRVisitor() = default;
  void visit(const Expr& e);
  void visit(const Stmt& s);

 protected:
  virtual void visit(const FloatImm*) {}
  virtual void visit(const IntImm*) {}
  virtual void visit(const Var*) {}
  virtual void visit(const Load* op);
  virtual void visit(const Unary* op);
  virtual void visit(const Binary* op);
  virtual void visit(const Select* op);
  virtual void visit(const Cast* op);
  virtual void visit(const MulAdd* op);
  virtual void visit(const For* op);
  virtual void visit(const Store* op);
  virtual void visit(const Prefetch* op);
  virtual void visit(const Block* op);
};

class IRMutator {
 public:
  virtual ~IRMutator() = default;
  Expr mutate(const Expr& e);
  Stmt mutate(const Stmt& s);

 protected:
  // Each receives the node and the Expr/Stmt holding it (to return unchanged).
  virtual Expr visit(const FloatImm*, const Expr& self) { return self; }
  virtual Expr visit(const IntImm*, const Expr& self) { return self; }
  virtual Expr visit(const Var*, const Expr& self) { return self; }
  virtual Expr visit(const Load* op, const Expr& self);
  virtual Expr visit(const Unary* op, const Expr& self);
  virtual Expr visit(const Binary* op, const Expr& self);
  virtual Expr visit(const Select* op, const Expr& self);
  virtual Expr visit(const Cast* op, const Expr& self);
  virtual Expr visit(const MulAdd* op, const Expr& self);
  virtual Stmt visit(const For* op, const Stmt& self);
  virtual Stmt visit(const Store* op, const Stmt& self);
  virtual Stmt visit(const Prefetch* op, const Stmt& self);
  virtual Stmt visit(const Block* op, const Stmt& self);
};

}  // namespace sigma::loop

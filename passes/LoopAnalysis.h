// What the loop-IR passes need to know about statements: affine index
// forms, perfect loop nests, which buffers a statement reads and writes,
// and when two accesses touch the same elements in the same iterations.
// Shared by the fusion passes and memory planning.
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "ir/LoopIR.h"

namespace sigma {

// index = Σ coeffs[var]·var + constant, when the index is affine in the loop
// variables (sums and products with constants); `affine` is false otherwise.
struct LinearForm {
  std::map<std::string, int64_t> coeffs;
  int64_t constant = 0;
  bool affine = true;
  bool operator==(const LinearForm&) const = default;
};
LinearForm linearize(const loop::Expr& index);

// A perfect loop nest: `for v0 in 0..e0 { for v1 ... { body } }` where each
// loop's body is exactly the next loop. Depth 0 is a statement with no loop.
struct LoopNest {
  std::vector<std::string> vars;
  std::vector<int64_t> extents;
  loop::Stmt body;  // the innermost body
};
LoopNest perfectNest(const loop::Stmt& stmt);
loop::Stmt wrapNest(const std::vector<std::string>& vars, const std::vector<int64_t>& extents, loop::Stmt body);

// Every load and store in a statement.
struct Access {
  std::string buffer;
  bool write;
  loop::Expr index;
};
std::vector<Access> collectAccesses(const loop::Stmt& stmt);
std::vector<Access> collectAccesses(const loop::Expr& expr);
std::set<std::string> buffersRead(const loop::Stmt& stmt);
std::set<std::string> buffersWritten(const loop::Stmt& stmt);
std::set<std::string> buffersRead(const loop::Kernel& kernel);
std::set<std::string> buffersWritten(const loop::Kernel& kernel);

// True if running a then b may differ from b then a: some buffer is
// written by one and read or written by the other.
bool conflicts(const std::set<std::string>& readsA, const std::set<std::string>& writesA,
               const std::set<std::string>& readsB, const std::set<std::string>& writesB);

// True if `form` maps distinct points of the nest (vars with extents) to
// distinct indices and reaches exactly the nest's points: every variable
// appears, and the coefficients form a mixed radix. Such an access touches
// one element per iteration and no element twice.
bool isInjective(const LinearForm& form, const std::vector<std::string>& vars, const std::vector<int64_t>& extents);

// Renames loop variables (and leaves everything else as it is).
loop::Stmt renameVars(const loop::Stmt& stmt, const std::map<std::string, std::string>& renames);
loop::Expr renameVars(const loop::Expr& expr, const std::map<std::string, std::string>& renames);

// Replaces every use of loop variable `var` with `value`.
loop::Stmt substituteVar(const loop::Stmt& stmt, const std::string& var, const loop::Expr& value);

// Splits a statement's outermost loop `for v in 0..e` into
// `for v.o in 0..e/factor { for v.i in 0..factor { ... v = v.o*factor + v.i } }`;
// nullptr when it is not a loop or factor does not divide its extent.
loop::Stmt splitOuterLoop(const loop::Stmt& stmt, int64_t factor);

// Replaces every load from `buffer` with replace(index of the load).
loop::Stmt replaceLoads(const loop::Stmt& stmt, const std::string& buffer,
                        const std::function<loop::Expr(const loop::Expr&)>& replace);

// The top-level statements of a kernel body (a Block is flattened).
std::vector<loop::Stmt> topLevelStatements(const loop::Stmt& body);

// Replaces each top-level statement s of the kernel with rewrite(s) (any
// number of statements; {s} keeps it); the body is rebuilt only if one changed.
void rewriteTopLevelStatements(loop::Kernel& kernel,
                               const std::function<std::vector<loop::Stmt>(const loop::Stmt&)>& rewrite);

}  // namespace sigma

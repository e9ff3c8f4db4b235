#include "passes/ParallelizeLoops.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "ir/IRVisitor.h"
#include "passes/LoopAnalysis.h"

namespace sigma {

using namespace loop;

namespace {

constexpr int64_t kMinStores = 1 << 16;  // below this, waking a thread costs more than it saves

struct PlacedAccess {
  std::string buffer;
  bool write;
  Expr index;
  std::map<std::string, int64_t> loops;  // the enclosing loops inside the candidate: var -> extent
};

// Every access inside a loop body, with the loops around it, and the number
// of stores the body executes.
class AccessWalker : public IRVisitor {
 public:
  using IRVisitor::visit;
  std::vector<PlacedAccess> accesses;
  int64_t stores = 0;

 protected:
  void visit(const For* op) override {
    loops_.emplace_back(op->var, op->extent);
    trips_ *= op->extent;
    IRVisitor::visit(op);
    trips_ /= std::max<int64_t>(op->extent, 1);
    loops_.pop_back();
  }
  void visit(const Load* op) override {
    record(op->buffer, false, op->index);
    IRVisitor::visit(op);
  }
  void visit(const Store* op) override {
    IRVisitor::visit(op);
    record(op->buffer, true, op->index);
    stores += trips_;
  }

 private:
  void record(const std::string& buffer, bool write, const Expr& index) {
    accesses.push_back({buffer, write, index, {loops_.begin(), loops_.end()}});
  }
  std::vector<std::pair<std::string, int64_t>> loops_;
  int64_t trips_ = 1;
};

}  // namespace

std::string whyNotParallel(const For& loop) {
  if (loop.extent < 2) return fmt::format("%{} has {} iteration{}", loop.var, loop.extent, loop.extent == 1 ? "" : "s");
  AccessWalker walk;
  walk.visit(loop.body);
  std::set<std::string> written;
  for (const PlacedAccess& a : walk.accesses)
    if (a.write) written.insert(a.buffer);
  // Per written buffer, the footprint of one iteration over all its
  // accesses: [c·v + lo, c·v + hi], the same c for every access.
  struct Footprint {
    int64_t c = 0, lo = 0, hi = 0;
    bool seen = false;
  };
  std::map<std::string, Footprint> footprints;
  for (const PlacedAccess& a : walk.accesses) {
    if (!written.count(a.buffer)) continue;
    LinearForm f = linearize(a.index);
    if (!f.affine) return fmt::format("%{} is accessed at a non-affine index", a.buffer);
    const int64_t c = f.coeffs.count(loop.var) ? f.coeffs.at(loop.var) : 0;
    if (c == 0) return fmt::format("every iteration of %{} accesses the same elements of %{} (a reduction)", loop.var, a.buffer);
    int64_t lo = f.constant, hi = f.constant;
    for (const auto& [var, coeff] : f.coeffs) {
      if (var == loop.var) continue;
      auto it = a.loops.find(var);
      if (it == a.loops.end()) return fmt::format("%{}'s index uses %{}, not a loop inside %{}", a.buffer, var, loop.var);
      const int64_t span = coeff * (it->second - 1);
      lo += std::min<int64_t>(0, span), hi += std::max<int64_t>(0, span);
    }
    Footprint& fp = footprints[a.buffer];
    if (fp.seen && fp.c != c)
      return fmt::format("%{} is accessed with different strides in %{}", a.buffer, loop.var);
    fp = fp.seen ? Footprint{c, std::min(fp.lo, lo), std::max(fp.hi, hi), true} : Footprint{c, lo, hi, true};
  }
  // Iteration v touches [c·v + lo, c·v + hi]: disjoint from its neighbours'
  // when the window is narrower than the stride.
  for (const auto& [buffer, fp] : footprints)
    if (fp.hi - fp.lo >= std::abs(fp.c))
      return fmt::format("iterations of %{} may touch the same elements of %{}", loop.var, buffer);
  if (walk.stores * loop.extent < kMinStores)
    return fmt::format("too little work ({} stores; threads pay off from {})", walk.stores * loop.extent, kMinStores);
  return "";
}

void parallelizeLoops(Module& m, std::vector<std::string>& remarks) {
  for (Kernel& k : m.kernels) {
    std::vector<Stmt> stmts = topLevelStatements(k.body);
    bool changed = false;
    for (Stmt& s : stmts) {
      const For* f = as<For>(s);
      if (!f || f->parallel) continue;
      std::string why = whyNotParallel(*f);
      if (!why.empty()) {
        remarks.push_back(fmt::format("parallelize-loops: @{}: %{} stays sequential: {}", k.name, f->var, why));
        continue;
      }
      remarks.push_back(fmt::format("parallelize-loops: @{}: %{} is parallel ({} iterations)", k.name, f->var, f->extent));
      s = For::make(f->var, f->extent, f->body, true);
      changed = true;
    }
    if (changed) k.body = Block::make(stmts);
  }
}

}  // namespace sigma

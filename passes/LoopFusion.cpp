#include "passes/LoopFusion.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "passes/LoopAnalysis.h"

namespace sigma {

using namespace loop;

namespace {
struct Effects {
  std::set<std::string> reads, writes;
};
Effects effectsOf(const Stmt& s) { return {buffersRead(s), buffersWritten(s)}; }
bool conflict(const Effects& a, const Effects& b) { return conflicts(a.reads, a.writes, b.reads, b.writes); }
}  // namespace

std::vector<std::vector<int64_t>> iterationSpaces(const Kernel& kernel) {
  std::vector<std::vector<int64_t>> out;
  for (const Stmt& s : topLevelStatements(kernel.body)) out.push_back(perfectNest(s).extents);
  return out;
}

bool mergeKernels(Module& m, const std::vector<size_t>& indices, const std::string& name, std::string& why) {
  if (indices.size() < 2) return false;
  const size_t first = indices.front(), last = indices.back();
  std::set<size_t> members(indices.begin(), indices.end());
  std::vector<Effects> fx;
  for (const Kernel& k : m.kernels) fx.push_back(effectsOf(k.body));

  // Kernels in the span that (transitively) depend on an earlier member must
  // run after the merged kernel; a member that depends on one of them makes
  // the merge impossible.
  std::vector<size_t> before, after;
  std::set<size_t> tainted;  // members and the kernels depending on them
  for (size_t i = first; i <= last; ++i) {
    bool dependsOnTainted = false;
    for (size_t t : tainted) dependsOnTainted |= conflict(fx[t], fx[i]);
    if (members.count(i)) {
      for (size_t a : after)
        if (conflict(fx[a], fx[i])) {
          why = fmt::format("@{} needs @{}, which needs an earlier member", m.kernels[i].name, m.kernels[a].name);
          return false;
        }
      tainted.insert(i);
    } else if (dependsOnTainted) {
      after.push_back(i), tainted.insert(i);
    } else {
      before.push_back(i);
    }
  }

  Kernel merged{name, {}, nullptr};
  std::vector<Stmt> body;
  for (size_t i : indices) {
    for (const Stmt& s : topLevelStatements(m.kernels[i].body)) body.push_back(s);
    for (const std::string& o : m.kernels[i].origin)
      if (std::find(merged.origin.begin(), merged.origin.end(), o) == merged.origin.end()) merged.origin.push_back(o);
  }
  merged.body = Block::make(std::move(body));

  std::vector<Kernel> order(m.kernels.begin(), m.kernels.begin() + long(first));
  for (size_t i : before) order.push_back(m.kernels[i]);
  order.push_back(std::move(merged));
  for (size_t i : after) order.push_back(m.kernels[i]);
  order.insert(order.end(), m.kernels.begin() + long(last) + 1, m.kernels.end());
  m.kernels = std::move(order);
  return true;
}

namespace {

// Can nest b be merged into nest a (same extents), b's body running after
// a's at every point? Every buffer one writes and the other touches must be
// accessed at one injective index, the same in both, after renaming.
bool canMergeNests(const LoopNest& a, const Stmt& aStmt, const LoopNest& b, const Stmt& bRenamed) {
  std::vector<Access> accA = collectAccesses(aStmt), accB = collectAccesses(bRenamed);
  Effects ea = effectsOf(aStmt), eb = effectsOf(bRenamed);
  std::set<std::string> shared;
  for (const std::string& w : ea.writes)
    if (eb.reads.count(w) || eb.writes.count(w)) shared.insert(w);
  for (const std::string& w : eb.writes)
    if (ea.reads.count(w)) shared.insert(w);
  for (const std::string& buffer : shared) {
    std::vector<LinearForm> forms;
    for (const auto* acc : {&accA, &accB})
      for (const Access& x : *acc)
        if (x.buffer == buffer) forms.push_back(linearize(x.index));
    for (const LinearForm& f : forms)
      if (!(f == forms.front()) || !isInjective(f, a.vars, a.extents)) return false;
  }
  (void)b;
  return true;
}

}  // namespace

namespace {

// The outer `depth` loops of a statement and what they contain.
struct Split {
  std::vector<std::string> vars;
  std::vector<int64_t> extents;
  Stmt inner;
};
std::optional<Split> splitAt(const Stmt& s, size_t depth) {
  Split out;
  Stmt cur = s;
  for (size_t d = 0; d < depth; ++d) {
    const For* f = as<For>(cur);
    if (!f) return std::nullopt;
    out.vars.push_back(f->var), out.extents.push_back(f->extent);
    cur = f->body;
  }
  out.inner = cur;
  return out;
}

// Extents of every loop inside a statement (loop variables are unique
// within a kernel's statement after renaming, so a map suffices).
void innerExtents(const Stmt& s, std::map<std::string, int64_t>& out) {
  if (const For* f = as<For>(s)) out[f->var] = std::max(out[f->var], f->extent), innerExtents(f->body, out);
  else if (const Block* b = as<Block>(s))
    for (const Stmt& t : b->stmts) innerExtents(t, out);
}

// Is the access `form`, at a fixed point of the outer loops, confined to the
// block [outer part, outer part + smallest outer stride)? Returns the outer
// part's coefficients through `outer`.
bool blockConfined(const LinearForm& form, const Split& split, const std::map<std::string, int64_t>& inner,
                   std::map<std::string, int64_t>& outer) {
  if (!form.affine) return false;
  int64_t lo = form.constant, hi = form.constant;
  for (auto& [var, c] : form.coeffs) {
    if (std::find(split.vars.begin(), split.vars.end(), var) != split.vars.end()) {
      outer[var] = c;
      continue;
    }
    auto it = inner.find(var);
    if (it == inner.end()) return false;
    (c > 0 ? hi : lo) += c * (it->second - 1);
  }
  if (lo < 0) return false;
  // Mixed radix over the outer loops, starting from the inner block's width.
  std::vector<std::pair<int64_t, int64_t>> terms;
  for (size_t d = 0; d < split.vars.size(); ++d) {
    auto it = outer.find(split.vars[d]);
    if (split.extents[d] > 1 && it == outer.end()) return false;
    if (it != outer.end()) terms.push_back({it->second, split.extents[d]});
  }
  std::sort(terms.begin(), terms.end());
  int64_t span = hi;
  for (auto [c, e] : terms) {
    if (c <= span) return false;
    span += c * (e - 1);
  }
  return true;
}

}  // namespace

Stmt mergeAtDepth(const Stmt& a, const Stmt& b, size_t depth) {
  std::optional<Split> sa = splitAt(a, depth), sb = splitAt(b, depth);
  if (!sa || !sb || sa->extents != sb->extents) return nullptr;
  std::map<std::string, std::string> renames;
  for (size_t d = 0; d < depth; ++d) renames[sb->vars[d]] = sa->vars[d];
  Stmt innerB = renameVars(sb->inner, renames);
  Stmt merged = wrapNest(sa->vars, sa->extents, Block::make({sa->inner, innerB}));

  std::map<std::string, int64_t> inner;
  innerExtents(sa->inner, inner);
  innerExtents(innerB, inner);
  Effects ea = effectsOf(a), eb = effectsOf(innerB);
  std::set<std::string> shared;
  for (const std::string& w : ea.writes)
    if (eb.reads.count(w) || eb.writes.count(w)) shared.insert(w);
  for (const std::string& w : eb.writes)
    if (ea.reads.count(w)) shared.insert(w);
  for (const std::string& buffer : shared) {
    std::optional<std::map<std::string, int64_t>> first;
    for (const Access& x : collectAccesses(merged)) {
      if (x.buffer != buffer) continue;
      std::map<std::string, int64_t> outer;
      if (!blockConfined(linearize(x.index), *sa, inner, outer)) return nullptr;
      if (first && *first != outer) return nullptr;
      first = outer;
    }
  }
  return merged;
}

int fuseStatements(Kernel& kernel) {
  std::vector<Stmt> stmts = topLevelStatements(kernel.body);
  int merged = 0;
  for (size_t j = 1; j < stmts.size(); ++j) {
    LoopNest nj = perfectNest(stmts[j]);
    Effects ej = effectsOf(stmts[j]);
    if (nj.vars.empty()) {
      // A scalar statement moves up past everything it does not conflict with,
      // to let the loops around it meet.
      size_t to = j;
      while (to > 0 && !conflict(effectsOf(stmts[to - 1]), ej)) --to;
      if (to < j) std::rotate(stmts.begin() + long(to), stmts.begin() + long(j), stmts.begin() + long(j) + 1);
      continue;
    }
    // Find the latest earlier nest over the same space that j can reach
    // (everything between must be independent of j).
    for (size_t i = j; i-- > 0;) {
      LoopNest ni = perfectNest(stmts[i]);
      if (ni.extents == nj.extents) {
        std::map<std::string, std::string> renames;
        for (size_t d = 0; d < nj.vars.size(); ++d) renames[nj.vars[d]] = ni.vars[d];
        Stmt bodyJ = renameVars(nj.body, renames);
        Stmt renamedJ = wrapNest(ni.vars, ni.extents, bodyJ);
        if (canMergeNests(ni, stmts[i], nj, renamedJ)) {
          stmts[i] = wrapNest(ni.vars, ni.extents, Block::make({ni.body, bodyJ}));
          stmts.erase(stmts.begin() + long(j));
          --j, ++merged;
        }
        break;
      }
      if (conflict(effectsOf(stmts[i]), ej)) break;
    }
  }
  kernel.body = stmts.size() == 1 ? stmts[0] : Block::make(std::move(stmts));
  return merged;
}

}  // namespace sigma

#include "passes/InlineElementwise.h"

#include <algorithm>
#include <map>
#include <optional>
#include <unordered_map>
#include <utility>

#include <fmt/format.h>

#include "ir/IRVisitor.h"
#include "ir/LoopPrinter.h"
#include "passes/LoopAnalysis.h"

namespace sigma {

using namespace loop;

namespace {

// An elementwise producer: T[Σ v·stride] = value over a perfect nest.
struct Producer {
  std::string buffer;
  LoopNest nest;
  LinearForm index;
  Expr value;
};

std::optional<Producer> asProducer(const Kernel& k, const Module& m) {
  std::vector<Stmt> stmts = topLevelStatements(k.body);
  if (stmts.size() != 1) return std::nullopt;
  LoopNest nest = perfectNest(stmts[0]);
  const Store* store = as<Store>(nest.body);
  if (!store) return std::nullopt;
  const Buffer* b = m.findBuffer(store->buffer);
  if (!b || b->kind != BufferKind::Temp) return std::nullopt;
  LinearForm f = linearize(store->index);
  int64_t points = 1;
  for (int64_t e : nest.extents) points *= e;
  if (points != b->size || !isInjective(f, nest.vars, nest.extents)) return std::nullopt;
  for (const Access& a : collectAccesses(store->value))
    if (a.buffer == store->buffer) return std::nullopt;  // reads its own output
  return Producer{store->buffer, nest, f, store->value};
}

// Cheap enough to recompute at every use: a few arithmetic operations.
bool isCheap(const Expr& e) {
  struct Counter : IRVisitor {
    int nodes = 0;
    bool expensive = false;
    using IRVisitor::visit;
    void visit(const Unary* op) override {
      ++nodes;
      expensive |= op->op == UnaryOp::Tanh || op->op == UnaryOp::Exp || op->op == UnaryOp::Log;
      IRVisitor::visit(op);
    }
    void visit(const Binary* op) override {
      ++nodes;
      expensive |= op->op == BinaryOp::Div;
      IRVisitor::visit(op);
    }
    void visit(const Load* op) override {
      ++nodes;
      IRVisitor::visit(op);
    }
  } c;
  c.visit(e);
  return !c.expensive && c.nodes <= 12;
}

// What a kernel body writes and how often it loads each buffer, and whether
// it is a producer: computed once per body. Bodies are immutable and a
// rewritten kernel gets a new one, so a body's address is its key (the
// cache holds the body, so the address is not reused). The pass inlines
// one producer at a time and then looks at every kernel again: without
// this, compiling W2 spent a third of its passes' time here.
class KernelSummaries {
 public:
  struct Summary {
    std::set<std::string> written;
    std::map<std::string, int> loads;
    std::optional<Producer> producer;
  };
  explicit KernelSummaries(const Module& m) : module_(m) {}
  const Summary& of(const Kernel& k) {
    auto [it, inserted] = cache_.try_emplace(k.body.get());
    if (inserted) {
      it->second.first = k.body;
      Summary& s = it->second.second;
      for (const Access& a : collectAccesses(k.body)) {
        if (a.write) s.written.insert(a.buffer);
        else ++s.loads[a.buffer];
      }
      s.producer = asProducer(k, module_);
    }
    return it->second.second;
  }
  int loads(const Kernel& k, const std::string& buffer) {
    const Summary& s = of(k);
    auto it = s.loads.find(buffer);
    return it == s.loads.end() ? 0 : it->second;
  }

 private:
  const Module& module_;
  std::unordered_map<const StmtNode*, std::pair<Stmt, Summary>> cache_;
};

// Rewrites a consumer's loads of the producer's buffer into the producer's
// value at the decoded point; tracks the extents of enclosing loops so that
// a decoded coordinate is proven to stay inside the producer's nest.
class Inliner : public IRMutator {
 public:
  explicit Inliner(const Producer& p) : p_(p) {}
  std::string failure;  // why a load could not be inlined (empty: all went well)
  using IRMutator::mutate;

 protected:
  Stmt visit(const For* op, const Stmt& self) override {
    extents_[op->var] = op->extent;
    Stmt s = IRMutator::visit(op, self);
    extents_.erase(op->var);
    return s;
  }
  Expr visit(const Load* op, const Expr& self) override {
    Expr index = mutate(op->index);
    if (op->buffer != p_.buffer) return index == op->index ? self : Load::make(op->buffer, op->type, index);
    std::map<std::string, Expr> point;
    if (!decode(index, point)) return Load::make(op->buffer, op->type, index);
    return substitute(p_.value, point);
  }

 private:
  // Finds, for every producer variable, the consumer expression giving it.
  bool decode(const Expr& index, std::map<std::string, Expr>& point) {
    LinearForm f = linearize(index);
    if (!f.affine) return fail(fmt::format("the index {} is not affine", printExpr(index)));
    std::map<std::string, int64_t> digits;  // the constant, in the producer's mixed radix
    std::vector<std::pair<int64_t, std::string>> byCoeff;
    for (size_t d = 0; d < p_.nest.vars.size(); ++d)
      if (p_.nest.extents[d] > 1) byCoeff.push_back({p_.index.coeffs.at(p_.nest.vars[d]), p_.nest.vars[d]});
    std::sort(byCoeff.rbegin(), byCoeff.rend());
    int64_t rest = f.constant;
    for (auto& [coeff, var] : byCoeff) digits[var] = rest / coeff, rest %= coeff;
    if (rest != 0 || f.constant < 0) return fail("a constant offset does not decode");
    for (auto& [var, coeff] : f.coeffs) {
      if (extents_.count(var) && extents_[var] == 1) continue;  // always 0: contributes nothing
      auto hit = std::find_if(byCoeff.begin(), byCoeff.end(), [&](auto& t) { return t.first == coeff; });
      if (hit == byCoeff.end() || point.count(hit->second) || !extents_.count(var))
        return fail(fmt::format("%{} (coefficient {}) matches no producer dimension", var, coeff));
      const std::string& pv = hit->second;
      size_t d = size_t(std::find(p_.nest.vars.begin(), p_.nest.vars.end(), pv) - p_.nest.vars.begin());
      if (extents_[var] - 1 + digits[pv] >= p_.nest.extents[d])
        return fail(fmt::format("%{} ranges past the producer's dimension %{}", var, pv));
      point[pv] = digits[pv] ? Var::make(var) + i64(digits[pv]) : Var::make(var);
    }
    for (const std::string& pv : p_.nest.vars)
      if (!point.count(pv)) point[pv] = i64(digits.count(pv) ? digits[pv] : 0);
    return true;
  }
  bool fail(std::string why) {
    if (failure.empty()) failure = std::move(why);
    return false;
  }
  static Expr substitute(const Expr& e, const std::map<std::string, Expr>& point) {
    struct Sub : IRMutator {
      const std::map<std::string, Expr>& point;
      explicit Sub(const std::map<std::string, Expr>& p) : point(p) {}
      using IRMutator::mutate;
      Expr visit(const Var* op, const Expr& self) override {
        auto it = point.find(op->name);
        return it == point.end() ? self : it->second;
      }
    } sub(point);
    return sub.mutate(e);
  }

  const Producer& p_;
  std::map<std::string, int64_t> extents_;
};

// The consumer's own writes to buffers the producer reads are safe only when
// each such write hits the element the inlined value read, in the same
// iteration: then the read happens before the write, as it did before.
bool consumerWritesAreSafe(const Stmt& rewritten, const std::set<std::string>& producerReads) {
  for (const Stmt& s : topLevelStatements(rewritten)) {
    LoopNest nest = perfectNest(s);
    for (const Access& w : collectAccesses(s)) {
      if (!w.write || !producerReads.count(w.buffer)) continue;
      LinearForm wf = linearize(w.index);
      if (!isInjective(wf, nest.vars, nest.extents)) return false;
      for (const Access& r : collectAccesses(s))
        if (!r.write && r.buffer == w.buffer && !(linearize(r.index) == wf)) return false;
    }
  }
  return true;
}

bool inlineOne(Module& m, std::vector<std::string>& remarks, std::set<std::string>& refused, KernelSummaries& summaries) {
  for (size_t p = 0; p < m.kernels.size(); ++p) {
    const std::optional<Producer>& prod = summaries.of(m.kernels[p]).producer;
    if (!prod || refused.count(prod->buffer)) continue;
    auto refuse = [&](const std::string& why) {
      remarks.push_back(fmt::format("fuse-elementwise: kept @{} (%{}): {}", m.kernels[p].name, prod->buffer, why));
      refused.insert(prod->buffer);
    };
    std::set<std::string> reads;
    for (const Access& a : collectAccesses(prod->value)) reads.insert(a.buffer);

    std::vector<size_t> consumers;
    int loads = 0;
    bool blocked = false;
    for (size_t q = p + 1; q < m.kernels.size() && !blocked; ++q) {
      const Kernel& k = m.kernels[q];
      if (summaries.of(k).written.count(prod->buffer)) blocked = true, refuse("another kernel also writes it");
      if (int n = summaries.loads(k, prod->buffer)) consumers.push_back(q), loads += n;
    }
    if (blocked || consumers.empty()) continue;  // an unread temporary is dead-kernel elimination's
    if (loads > 1 && !isCheap(prod->value)) {
      refuse(fmt::format("read {} times and too costly to recompute", loads));
      continue;
    }
    // The producer's operands must not change between it and its last consumer.
    bool hazard = false;
    for (size_t q = p + 1; q < consumers.back() && !hazard; ++q)
      for (const std::string& w : summaries.of(m.kernels[q]).written)
        if (reads.count(w)) hazard = true, refuse(fmt::format("@{} overwrites its operand %{} first", m.kernels[q].name, w));
    if (hazard) continue;

    std::vector<Stmt> rewritten;
    std::string failure;
    for (size_t q : consumers) {
      Inliner inliner(*prod);
      rewritten.push_back(inliner.mutate(m.kernels[q].body));
      if (!inliner.failure.empty()) failure = fmt::format("into @{}: {}", m.kernels[q].name, inliner.failure);
      else if (!consumerWritesAreSafe(rewritten.back(), reads))
        failure = fmt::format("@{} writes an operand of it in a different iteration", m.kernels[q].name);
      if (!failure.empty()) break;
    }
    if (!failure.empty()) {
      refuse(failure);
      continue;
    }
    std::string names;
    for (size_t i = 0; i < consumers.size(); ++i) {
      Kernel& k = m.kernels[consumers[i]];
      k.body = rewritten[i];
      for (const std::string& o : m.kernels[p].origin)
        if (std::find(k.origin.begin(), k.origin.end(), o) == k.origin.end()) k.origin.push_back(o);
      names += (i ? ", @" : "@") + k.name;
    }
    remarks.push_back(fmt::format("fuse-elementwise: inlined @{} (%{}) into {}", m.kernels[p].name, prod->buffer, names));
    const std::string inlined = prod->buffer;
    m.kernels.erase(m.kernels.begin() + long(p));
    std::erase_if(m.buffers, [&](const Buffer& b) { return b.name == inlined; });
    return true;
  }
  return false;
}

}  // namespace

void inlineElementwise(Module& module, std::vector<std::string>& remarks) {
  std::set<std::string> refused;
  KernelSummaries summaries(module);
  while (inlineOne(module, remarks, refused, summaries)) {
  }
}

}  // namespace sigma

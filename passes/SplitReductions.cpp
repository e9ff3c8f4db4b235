#include "passes/SplitReductions.h"

#include <fmt/format.h>

#include <limits>
#include <optional>

#include "passes/LoopAnalysis.h"

namespace sigma {

using namespace loop;

namespace {

// The lane count for an innermost extent: fixed by the IR, never by the host,
// so that a training run gives the same bits on every machine.
int64_t laneCount(int64_t extent) { return extent >= 16 ? 16 : extent == 8 ? 8 : 0; }

// `acc[c] = acc[c] op e` (or `e op acc[c]`) with a constant index, op one of
// add, max, min over f32, and e not reading acc.
struct Reduction {
  std::string acc;
  Expr index;
  BinaryOp op;
  Expr operand;
  bool accFirst;
};

std::optional<Reduction> matchReduction(const Stmt& s) {
  const Store* st = as<Store>(s);
  if (!st || !linearize(st->index).affine || !linearize(st->index).coeffs.empty()) return std::nullopt;
  const Binary* b = as<Binary>(st->value);
  if (!b || b->type != ScalarType::F32 || (b->op != BinaryOp::Add && b->op != BinaryOp::Max && b->op != BinaryOp::Min))
    return std::nullopt;
  auto isAcc = [&](const Expr& e) {
    const Load* l = as<Load>(e);
    return l && l->buffer == st->buffer && linearize(l->index) == linearize(st->index);
  };
  const bool accFirst = isAcc(b->a);
  if (!accFirst && !isAcc(b->b)) return std::nullopt;
  const Expr& operand = accFirst ? b->b : b->a;
  for (const Access& a : collectAccesses(operand))
    if (a.buffer == st->buffer) return std::nullopt;
  return Reduction{st->buffer, st->index, b->op, operand, accFirst};
}

Expr combine(BinaryOp op, const Expr& a, const Expr& b) { return Binary::make(op, a, b); }

Expr identity(BinaryOp op) {
  const float inf = std::numeric_limits<float>::infinity();
  return f32(op == BinaryOp::Add ? 0.0f : op == BinaryOp::Max ? -inf : inf);
}

// lanes[first] op ... op lanes[first+count-1], as a balanced tree: the order
// a vector unit's horizontal reduction takes.
Expr laneTree(const std::string& lanes, BinaryOp op, int64_t first, int64_t count) {
  if (count == 1) return Load::make(lanes, ScalarType::F32, i64(first));
  const int64_t half = count / 2;
  return combine(op, laneTree(lanes, op, first, half), laneTree(lanes, op, first + half, count - half));
}

std::string freshBufferName(const Module& m, const std::string& base) {
  std::string name = base;
  for (int n = 1; m.findBuffer(name); ++n) name = fmt::format("{}{}", base, n);
  return name;
}

// Rewrites the reductions of one top-level statement of a kernel. A
// reduction is split in the innermost loop around it, wherever that loop is
// (a plain nest over a weight, or a matmul's epilogue); the lanes are set
// before the top-level statement and combined after it.
class Splitter {
 public:
  Splitter(Module& m, const std::string& kernel, const Stmt& top, std::vector<std::string>& remarks)
      : m_(m), kernel_(kernel), accesses_(collectAccesses(top)), remarks_(remarks) {}

  std::vector<Stmt> run(const Stmt& top) {
    Stmt body = rewrite(top);
    if (body == top) return {top};
    std::vector<Stmt> out = std::move(before_);
    out.push_back(body);
    out.insert(out.end(), after_.begin(), after_.end());
    return out;
  }

 private:
  Stmt rewrite(const Stmt& s) {
    if (const Block* b = as<Block>(s)) {
      std::vector<Stmt> stmts;
      for (const Stmt& t : b->stmts) stmts.push_back(rewrite(t));
      return stmts == b->stmts ? s : Block::make(stmts);
    }
    const For* f = as<For>(s);
    if (!f) return s;
    if (Stmt split = splitLoop(f)) return split;
    enclosing_.push_back(f);
    Stmt body = rewrite(f->body);
    enclosing_.pop_back();
    return body == f->body ? s : For::make(f->var, f->extent, body, f->parallel);
  }

  // The reductions among the statements directly in `f`'s body, each
  // touching its accumulator nowhere else in the top-level statement.
  std::vector<std::pair<size_t, Reduction>> reductionsIn(const std::vector<Stmt>& body) const {
    std::vector<std::pair<size_t, Reduction>> found;
    for (size_t i = 0; i < body.size(); ++i) {
      std::optional<Reduction> r = matchReduction(body[i]);
      if (!r) continue;
      const Buffer* acc = m_.findBuffer(r->acc);
      int uses = 0;
      for (const Access& a : accesses_) uses += a.buffer == r->acc;
      if (acc && acc->type == ScalarType::F32 && uses == 2) found.emplace_back(i, *r);
    }
    return found;
  }

  Stmt splitLoop(const For* f) {
    std::vector<Stmt> body = topLevelStatements(f->body);
    std::vector<std::pair<size_t, Reduction>> found = reductionsIn(body);
    if (found.empty()) return nullptr;
    const std::string& v = f->var;
    const int64_t extent = f->extent, lanes = laneCount(extent);
    if (lanes == 0) {
      for (auto& [i, r] : found)
        remarks_.push_back(fmt::format("split-reductions: @{}: %{} kept sequential: its loop %{} has {} points",
                                       kernel_, r.acc, v, extent));
      return nullptr;
    }
    // Rows: the loops around `f` in the top-level statement. With rows,
    // each row has lanes of its own (so that rows can run on different
    // threads), summed per lane in row order after the statement.
    Expr row;
    int64_t rows = 1;
    std::string rowVars;
    for (const For* e : enclosing_) {
      row = row ? row * i64(e->extent) + Var::make(e->var) : Var::make(e->var);
      rows *= e->extent;
      rowVars += (rowVars.empty() ? "%" : ", %") + e->var;
    }
    const std::string laneTag = v + ".lane";
    const Expr laneIndex = row ? row * i64(lanes) + Var::make(laneTag) : Var::make(laneTag);

    // The body with each reduction accumulating into lanes[row·L + %lane].
    std::vector<Stmt> inits;
    const std::string outer = v + ".o", inner = v + ".l", tail = v + ".t", rowVar = v + ".row";
    for (auto& [i, r] : found) {
      const std::string lanesBuf = freshBufferName(m_, r.acc + ".lanes");
      m_.buffers.push_back({lanesBuf, ScalarType::F32, rows * lanes, BufferKind::Temp, {}});
      Expr lane = Load::make(lanesBuf, ScalarType::F32, laneIndex);
      body[i] = Store::make(lanesBuf, laneIndex,
                            r.accFirst ? combine(r.op, lane, r.operand) : combine(r.op, r.operand, lane));
      inits.push_back(Store::make(lanesBuf, laneIndex, identity(r.op)));
      std::string summed = lanesBuf;
      if (row) {  // totals[l] = identity op lanes[0·L + l] op lanes[1·L + l] ...
        // Rows outside, lanes inside: each row adds one vector of lanes,
        // and the code stays one small loop, whatever the number of rows.
        summed = freshBufferName(m_, r.acc + ".totals");
        m_.buffers.push_back({summed, ScalarType::F32, lanes, BufferKind::Temp, {}});
        Expr total = Load::make(summed, ScalarType::F32, Var::make(inner));
        Expr partial = Load::make(lanesBuf, ScalarType::F32, Var::make(rowVar) * i64(lanes) + Var::make(inner));
        after_.push_back(For::make(inner, lanes, Store::make(summed, Var::make(inner), identity(r.op))));
        after_.push_back(For::make(
            rowVar, rows, For::make(inner, lanes, Store::make(summed, Var::make(inner), combine(r.op, total, partial)))));
      }
      Expr total = laneTree(summed, r.op, 0, lanes);
      Expr accNow = Load::make(r.acc, ScalarType::F32, r.index);
      after_.push_back(
          Store::make(r.acc, r.index, r.accFirst ? combine(r.op, accNow, total) : combine(r.op, total, accNow)));
      remarks_.push_back(fmt::format("split-reductions: @{}: %{} accumulated in {} lanes over %{} (extent {}{}){}",
                                     kernel_, r.acc, lanes, v, extent,
                                     extent % lanes ? fmt::format(", tail {}", extent % lanes) : "",
                                     row ? fmt::format(", per row of {} ({} rows)", rowVars, rows) : ""));
    }
    const Stmt init = For::make(inner, lanes, substituteVar(Block::make(inits), laneTag, Var::make(inner)));
    if (!row) before_.push_back(init);

    // for v.o { for v.l { body(v = v.o*L + v.l, lane = v.l) } }, then the tail.
    const Stmt laneBody = Block::make(body);
    Stmt main = substituteVar(laneBody, v, Var::make(outer) * i64(lanes) + Var::make(inner));
    main = For::make(outer, extent / lanes, For::make(inner, lanes, substituteVar(main, laneTag, Var::make(inner))));
    std::vector<Stmt> split = {main};
    if (extent % lanes != 0) {
      Stmt rest = substituteVar(laneBody, v, i64(extent / lanes * lanes) + Var::make(tail));
      split.push_back(For::make(tail, extent % lanes, substituteVar(rest, laneTag, Var::make(tail))));
    }
    if (row) split.insert(split.begin(), init);  // each row sets its own lanes
    return split.size() == 1 ? split[0] : Block::make(split);
  }

  Module& m_;
  const std::string& kernel_;
  const std::vector<Access> accesses_;
  std::vector<std::string>& remarks_;
  std::vector<Stmt> before_, after_;
  std::vector<const For*> enclosing_;  // the loops around the one being rewritten
};

}  // namespace

void splitReductions(Module& m, std::vector<std::string>& remarks) {
  for (Kernel& k : m.kernels)
    rewriteTopLevelStatements(k, [&](const Stmt& s) { return Splitter(m, k.name, s, remarks).run(s); });
}

}  // namespace sigma

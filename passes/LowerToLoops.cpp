#include "passes/LowerToLoops.h"

#include <unistd.h>

#include <algorithm>
#include <limits>
#include <unordered_map>
#include <utility>

#include "ir/Error.h"

namespace sigma {

using namespace loop;

std::vector<std::string> displayNames(const Graph& graph) {
  std::vector<std::string> names;
  int counter = 0;
  for (const auto& n : graph.nodes()) names.push_back(n->name.empty() ? std::to_string(counter++) : n->name);
  return names;
}

namespace {

ScalarType scalarType(DType t) { return t == DType::F32 ? ScalarType::F32 : ScalarType::I32; }

// A loop nest over a shape: one index variable per dimension.
struct LoopNest {
  std::vector<std::string> vars;
  Shape shape;

  LoopNest(const Shape& s, const std::string& prefix) : shape(s) {
    for (size_t d = 0; d < s.size(); ++d) vars.push_back(prefix + std::to_string(d));
  }
  // The flat row-major index of this nest's point in a tensor of shape
  // `operand` that broadcasts to `shape` (size-1 and missing leading
  // dimensions contribute nothing).
  Expr index(const Shape& operand) const {
    std::vector<int64_t> strides = rowMajorStrides(operand);
    size_t offset = shape.size() - operand.size();
    Expr idx;
    for (size_t d = 0; d < operand.size(); ++d) {
      if (operand[d] == 1) continue;
      Expr term = Var::make(vars[d + offset]);
      if (strides[d] != 1) term = term * i64(strides[d]);
      idx = idx ? idx + term : term;
    }
    return idx ? idx : i64(0);
  }
  Stmt wrap(Stmt body) const {
    for (size_t d = shape.size(); d-- > 0;) body = For::make(vars[d], shape[d], body);
    return body;
  }
};

class Lowering {
 public:
  Lowering(const Graph& g, const LoweringTarget& target) : graph_(g), target_(target), names_(displayNames(g)) {}

  Module run() {
    module_.name = graph_.name();
    declareBuffers();
    for (const auto& n : graph_.nodes())
      if (!n->isLeaf()) lowerNode(n.get());
    // Outputs whose value lives elsewhere (a parameter, an input, a value
    // already stored to another output) get a copy kernel.
    for (const auto& o : graph_.outputs())
      if (bufferName(o.value) != o.name) copy(o.name, o.value, "output_" + o.name);
    for (const auto& u : graph_.updates()) copy(u.parameter->name, u.value, "update_" + u.parameter->name);
    return std::move(module_);
  }

 private:
  void declare(const std::string& name, const TensorType& type, BufferKind kind, std::vector<float> init = {}) {
    if (module_.findBuffer(name)) fail("lowering: two buffers named '{}' in graph @{}", name, graph_.name());
    module_.buffers.push_back({name, scalarType(type.dtype), type.size(), kind, std::move(init)});
  }

  void declareBuffers() {
    std::unordered_map<const Node*, const GraphOutput*> firstOutput;
    for (const auto& o : graph_.outputs()) firstOutput.emplace(o.value, &o);
    for (const auto& n : graph_.nodes()) {
      const Node* node = n.get();
      switch (node->op) {
        case Op::Input: declare(node->name, node->type, BufferKind::Input); break;
        case Op::Parameter: declare(node->name, node->type, BufferKind::Parameter); break;
        case Op::Constant:
          if (node->isSplat()) continue;
          declare(names_[node->id], node->type, BufferKind::Constant, node->values);
          break;
        default: {
          auto it = firstOutput.find(node);
          std::string name = it != firstOutput.end() ? it->second->name : "t" + names_[node->id];
          declare(name, node->type, it != firstOutput.end() ? BufferKind::Output : BufferKind::Temp);
          bufferOf_[node] = name;
          continue;
        }
      }
      bufferOf_[node] = node->isLeaf() ? (node->op == Op::Constant ? names_[node->id] : node->name) : "";
    }
    for (const auto& o : graph_.outputs())
      if (bufferName(o.value) != o.name) declare(o.name, o.value->type, BufferKind::Output);
  }

  // The buffer holding a node's value; "" for a splat constant, which has
  // none (an output that is one, e.g. the zero gradient of a parameter the
  // loss does not depend on, gets a buffer and a kernel storing the value).
  std::string bufferName(const Node* n) const {
    auto it = bufferOf_.find(n);
    return it == bufferOf_.end() ? "" : it->second;
  }

  // The value of operand `x` at the nest's current point.
  Expr read(const Node* x, const LoopNest& nest) {
    if (x->isSplat()) return f32(x->splatValue());
    return Load::make(bufferOf_.at(x), scalarType(x->type.dtype), nest.index(x->type.shape));
  }

  Expr scalarOp(const Node* n, const std::vector<Expr>& in) {
    switch (n->op) {
      case Op::Neg: return Unary::make(UnaryOp::Neg, in[0]);
      case Op::Abs: return Unary::make(UnaryOp::Abs, in[0]);
      case Op::Sign: return Unary::make(UnaryOp::Sign, in[0]);
      case Op::Tanh: return Unary::make(UnaryOp::Tanh, in[0]);
      case Op::Sqrt: return Unary::make(UnaryOp::Sqrt, in[0]);
      case Op::Exp: return Unary::make(UnaryOp::Exp, in[0]);
      case Op::Log: return Unary::make(UnaryOp::Log, in[0]);
      case Op::Square: return in[0] * in[0];
      case Op::Add: return in[0] + in[1];
      case Op::Sub: return in[0] - in[1];
      case Op::Mul: return in[0] * in[1];
      case Op::Div: return in[0] / in[1];
      case Op::Maximum: return Binary::make(BinaryOp::Max, in[0], in[1]);
      case Op::Minimum: return Binary::make(BinaryOp::Min, in[0], in[1]);
      case Op::Ge: return Select::make(Binary::make(BinaryOp::Le, in[1], in[0]), f32(1), f32(0));
      case Op::Broadcast: return in[0];
      default: fail("lowering: {} is not elementwise", opName(n->op));
    }
  }

  void addKernel(const Node* n, std::vector<Stmt> body) {
    std::vector<std::string> origin{names_[n->id]};
    module_.kernels.push_back({std::string(opName(n->op)) + "_" + names_[n->id], origin, Block::make(std::move(body))});
  }

  void lowerNode(const Node* n) {
    const std::string& out = bufferOf_.at(n);
    switch (opClass(n->op)) {
      case OpClass::Unary:
      case OpClass::Binary:
      case OpClass::Broadcast: {
        LoopNest nest(n->type.shape, "i");
        std::vector<Expr> in;
        for (const Node* x : n->inputs) in.push_back(read(x, nest));
        return addKernel(n, {nest.wrap(Store::make(out, nest.index(n->type.shape), scalarOp(n, in)))});
      }
      case OpClass::Reduce: return lowerReduce(n, out);
      case OpClass::MatMul: return lowerMatMul(n, out);
      case OpClass::Transpose: return lowerTranspose(n, out);
      case OpClass::Reshape: {  // row-major order is unchanged: a flat copy
        Expr i = Var::make("i");
        return addKernel(n, {For::make("i", n->type.size(), Store::make(out, i, readAt(n->inputs[0], i)))});
      }
      case OpClass::Gather:
      case OpClass::Scatter: return lowerGatherScatter(n, out);
      case OpClass::Leaf: return;
    }
  }

  // ---- Data movement: transpose, gather, scatter_add (reshape is a flat
  // copy in lowerNode).

  // out[i...] = x[i permuted]: a nest over the result, reading the operand
  // with its strides permuted (result dimension d walks operand dimension
  // perm[d]).
  void lowerTranspose(const Node* n, const std::string& out) {
    const Node* x = n->inputs[0];
    LoopNest nest(n->type.shape, "i");
    std::vector<int64_t> strides = rowMajorStrides(x->type.shape);
    Expr idx;
    for (size_t d = 0; d < n->perm.size(); ++d) {
      if (n->type.shape[d] == 1) continue;
      Expr term = scaled(Var::make(nest.vars[d]), strides[size_t(n->perm[d])]);
      idx = idx ? idx + term : term;
    }
    addKernel(n, {nest.wrap(Store::make(out, nest.index(n->type.shape), readAt(x, idx ? idx : i64(0))))});
  }

  // Gather copies table row idx[i] to out row i; scatter_add zeroes out and
  // adds src row i into out row idx[i], in order of i (deterministic). Rows
  // are the trailing dimensions, flattened; an index is clamped to
  // [0, rows) so that no index, however bad, reads or writes out of bounds,
  // and both ops clamp alike so they stay each other's adjoints.
  void lowerGatherScatter(const Node* n, const std::string& out) {
    const Node* idxNode = n->inputs[1];
    const bool gather = n->op == Op::Gather;
    const Shape& tableShape = gather ? n->inputs[0]->type.shape : n->type.shape;
    int64_t rows = tableShape[0], rowSize = numElements(Shape(tableShape.begin() + 1, tableShape.end()));
    Expr i = Var::make("i"), j = Var::make("j");
    Expr index = idxNode->isSplat() ? i64(int64_t(idxNode->splatValue()))
                                    : Cast::make(ScalarType::I64, Load::make(bufferOf_.at(idxNode), ScalarType::I32, i));
    Expr row = Binary::make(BinaryOp::Min, Binary::make(BinaryOp::Max, index, i64(0)), i64(rows - 1));
    Expr tableIdx = scaled(row, rowSize) + j, denseIdx = scaled(i, rowSize) + j;
    std::vector<Stmt> body;
    Stmt each;
    if (gather) {
      each = Store::make(out, denseIdx, readAt(n->inputs[0], tableIdx));
    } else {
      Expr k = Var::make("k");
      body.push_back(For::make("k", n->type.size(), Store::make(out, k, f32(0))));
      each = Store::make(out, tableIdx, Load::make(out, ScalarType::F32, tableIdx) + readAt(n->inputs[0], denseIdx));
    }
    body.push_back(For::make("i", idxNode->type.size(), For::make("j", rowSize, each)));
    addKernel(n, std::move(body));
  }

  static Expr scaled(Expr e, int64_t k) { return k == 1 ? e : e * i64(k); }
  static Expr plus(Expr e, int64_t k) { return k == 0 ? e : e + i64(k); }

  // The value of operand `x` at flat index `flat` (a splat is its value).
  Expr readAt(const Node* x, Expr flat) {
    if (x->isSplat()) return f32(x->splatValue());
    return Load::make(bufferOf_.at(x), scalarType(x->type.dtype), std::move(flat));
  }

  // out = init; for each point p of the operand: out[reduced p] ⊕= x[p].
  void lowerReduce(const Node* n, const std::string& out) {
    const Node* x = n->inputs[0];
    LoopNest outer(n->type.shape, "i"), inner(x->type.shape, "r");
    const float inf = std::numeric_limits<float>::infinity();
    float init = n->op == Op::Max ? -inf : n->op == Op::Min ? inf : 0.0f;
    Expr acc = Load::make(out, ScalarType::F32, inner.index(n->type.shape));
    Expr v = read(x, inner);
    Expr next = n->op == Op::Max   ? Binary::make(BinaryOp::Max, acc, v)
                : n->op == Op::Min ? Binary::make(BinaryOp::Min, acc, v)
                                   : acc + v;
    std::vector<Stmt> body{outer.wrap(Store::make(out, outer.index(n->type.shape), f32(init))),
                           inner.wrap(Store::make(out, inner.index(n->type.shape), next))};
    if (n->op == Op::Mean) {
      Expr idx = outer.index(n->type.shape);
      float count = float(x->type.size() / n->type.size());
      body.push_back(outer.wrap(Store::make(out, idx, Load::make(out, ScalarType::F32, idx) / f32(count))));
    }
    addKernel(n, std::move(body));
  }

  // acc + a·b as one fused multiply-add (one rounding): a[..] * b[..] is
  // the product expression the matmul lowering builds.
  static Expr fmaInto(const Expr& acc, const Expr& product) {
    const Binary* mul = as<Binary>(product);
    return MulAdd::make(mul->a, mul->b, acc);
  }

  // The MR×NR block of C a micro-kernel keeps in registers: NR columns, two
  // vectors wide where they divide C's, and as many rows (up to a quarter of
  // the register file, half for a block one vector wide) as keep the
  // accumulators to half of it, the rest holding B's vectors. Zen 4 (32
  // zmm): 8×32, sixteen accumulators, enough independent FMA chains to
  // cover their latency, or 16×16; AVX2 (16 ymm): 4×16, eight, or 8×8.
  std::pair<int64_t, int64_t> registerBlock(int64_t m, int64_t cols) const {
    const int64_t lanes = target_.vectorLanes, registers = target_.vectorRegisters;
    int64_t nr = 1;
    if (cols <= 16) nr = cols;
    else
      for (int64_t candidate : {2 * lanes, lanes, int64_t(8)})
        if (cols % candidate == 0) {
          nr = candidate;
          break;
        }
    const int64_t vectorsPerRow = (nr + lanes - 1) / lanes;
    // A block one vector wide may take twice the rows: the micro-kernel
    // (codegen/MatmulTile.h) broadcasts A from memory, so rows cost no
    // registers, and eight accumulators fed by one vector of B each step
    // leave Zen 4's FMAs idle (W2's 512×784×128 dW1: 16×16 blocks take ~9%
    // less time than 8×16).
    const int64_t maxRows = nr == lanes ? registers / 2 : registers / 4;
    for (int64_t mr : {int64_t(16), int64_t(8), int64_t(4), int64_t(2)})
      if (m % mr == 0 && mr <= maxRows && mr * vectorsPerRow <= registers / 2) return {mr, nr};
    return {1, nr};
  }

  // C[i,j] = Σ_k op(A)[i,k] · op(B)[k,j], accumulated in increasing k with
  // fused multiply-adds: every element sums its products in the same order
  // whatever the blocking, so the result does not depend on it.
  void lowerMatMul(const Node* n, const std::string& out) {
    const Node *a = n->inputs[0], *b = n->inputs[1];
    const int64_t m = n->type.shape[0], cols = n->type.shape[1];
    const int64_t k = n->transposeA ? a->type.shape[0] : a->type.shape[1];
    const std::string& aBuffer = bufferOf_.at(a);
    Expr kk = Var::make("k");
    // The k of a block's loop over k, which starts at k0 (a chunk of k).
    int64_t k0 = 0;
    auto aAt = [&](const Expr& row) {
      Expr at = plus(kk, k0);
      return Load::make(aBuffer, ScalarType::F32, n->transposeA ? at * i64(m) + row : row * i64(k) + at);
    };
    auto bIndex = [&](const Expr& col) {
      Expr at = plus(kk, k0);
      return n->transposeB ? col * i64(k) + at : at * i64(cols) + col;
    };

    // Register blocking: an MR×NR block of C stays in registers while k runs
    // (the micro-kernel of GotoBLAS/BLIS). A transposed B is first packed
    // into panels of NR columns, [panel][k][NR], so that the block reads NR
    // contiguous floats at every k; a B read as is has them already, and
    // reading it in place beats copying it (W2's A·B and Aᵀ·B products
    // 3-5% faster, 512³ 4%, Zen 4: the rows of a panel stream from L2).
    //
    // Where only one vector divides C's columns (W2's dW1: 784 = 24·32 + 16
    // on AVX-512), the blocks are two vectors wide and the last columns one
    // block of one vector: a one-vector block loads A's broadcast and B's
    // vector for every FMA's worth of work it does (17 loads to 16 FMAs at
    // 16×16), and on Zen 5, whose FMAs are as wide as its loads, the loads
    // bind (dW1 alone 437-454 µs at 16×16, 404-413 µs so, W2's step 2-4%
    // faster). The tail keeps the rows, so it needs eight of them to give
    // the FMAs eight independent chains (AVX2's 4×16 blocks do not).
    auto [mr, nr] = registerBlock(m, cols);
    int64_t tail = 0;
    if (nr == target_.vectorLanes && cols > 2 * nr) {
      const auto [wideRows, wide] = registerBlock(m, cols - cols % (2 * nr));
      if (wide == 2 * nr && wideRows >= 8) mr = wideRows, tail = cols % wide, nr = wide;
    }
    std::vector<Stmt> body;
    if (nr > 1 && mr > 1) {
      // Each row block reads all of B (packed or in place), so B stays in L2
      // from one row block to the next only when it fits there with A's
      // rows and C's block. Where there are several row blocks and B is
      // bigger than half the L2 (W2's and W5's x·W1ᵀ: 1.6 MB of packed Wᵀ,
      // L2 1 MiB on Zen 4 and 5), k is split into chunks of equal depth
      // (the last one shorter) whose part of B takes half the L2 at most
      // (one k at least), one loop over the row blocks each, the first
      // zeroing C and the others adding to it: every element still sums
      // its products in increasing k (the same bits), and B's chunk is read
      // from L2 by every row block but the first, not from L3 (the GotoBLAS
      // kc blocking). A k of 0 is one chunk, which zeroes C.
      const int64_t rowOfB = cols * int64_t(sizeof(float));
      int64_t chunks = 1;
      if (target_.l2Bytes > 0 && m / mr > 1 && k * rowOfB > target_.l2Bytes / 2) {
        const int64_t maxDepth = std::max<int64_t>(1, target_.l2Bytes / 2 / rowOfB);
        chunks = (k + maxDepth - 1) / maxDepth;
      }
      const int64_t chunkDepth = std::max<int64_t>(1, (k + chunks - 1) / chunks);
      bool panelsPacked = false;  // B's panels are packed once, for all the chunks
      Expr ib = Var::make("ib"), jb = Var::make("jb"), r = Var::make("r");
      Expr row = ib * i64(mr) + r;
      const std::string packed = out + ".bpack";
      if (n->transposeB) declare(packed, {DType::F32, {k * cols}}, BufferKind::Temp);
      // C's blocks of `width` columns from column `first`: the loop over
      // jb's panels, or the tail's one block. The tail's columns get a
      // variable of their own: the fusion passes bound a variable by its
      // largest extent (passes/LoopFusion.cpp).
      auto columnBlocks = [&](int64_t first, int64_t width, bool isTail) {
        const std::string cName = isTail ? "ct" : "c";
        Expr c = Var::make(cName);
        Expr col = plus(isTail ? c : jb * i64(width) + c, first);
        Expr bAt = Load::make(bufferOf_.at(b), ScalarType::F32, bIndex(col));
        if (n->transposeB) {
          auto panelAt = [&](const Expr& at) { return plus((isTail ? at : jb * i64(k) + at) * i64(width) + c, first * k); };
          if (!panelsPacked) {  // in the first chunk: k0 = 0, bAt reads B at k
            Stmt pack = For::make("k", k, For::make(cName, width, Store::make(packed, panelAt(kk), bAt)));
            body.push_back(isTail ? pack : For::make("jb", (cols - tail) / width, pack));
          }
          bAt = Load::make(packed, ScalarType::F32, panelAt(plus(kk, k0)));
        }
        Expr cIdx = row * i64(cols) + col;
        Stmt zero = For::make("r", mr, For::make(cName, width, Store::make(out, cIdx, f32(0))));
        Stmt accumulate = For::make("k", std::min(chunkDepth, k - k0), For::make("r", mr, For::make(cName, width,
            Store::make(out, cIdx, fmaInto(Load::make(out, ScalarType::F32, cIdx), aAt(row) * bAt)))));
        Stmt blocks = k0 == 0 ? Block::make({zero, accumulate}) : accumulate;
        return isTail ? blocks : For::make("jb", (cols - tail) / width, blocks);
      };
      do {  // at least once: a k of 0 still zeroes C
        Stmt rowBlock = columnBlocks(0, nr, false);
        if (tail) rowBlock = Block::make({rowBlock, columnBlocks(cols - tail, tail, true)});
        panelsPacked = true;
        body.push_back(For::make("ib", m / mr, rowBlock));
        k0 += chunkDepth;
      } while (k0 < k);
      return addKernel(n, std::move(body));
    }
    // Unblockable shapes (odd row counts): rows of C, k, then a row of B.
    Expr i = Var::make("i"), j = Var::make("j");
    Expr cIdx = i * i64(cols) + j;
    Expr product = aAt(i) * Load::make(bufferOf_.at(b), ScalarType::F32, bIndex(j));
    Stmt zero = For::make("j", cols, Store::make(out, cIdx, f32(0)));
    Stmt accumulate = For::make("k", k, For::make("j", cols,
        Store::make(out, cIdx, fmaInto(Load::make(out, ScalarType::F32, cIdx), product))));
    body.push_back(For::make("i", m, Block::make({zero, accumulate})));
    addKernel(n, std::move(body));
  }

  void copy(const std::string& to, const Node* from, const std::string& kernelName) {
    LoopNest nest(from->type.shape, "i");
    Expr idx = nest.index(from->type.shape);
    module_.kernels.push_back({kernelName, {names_[from->id]}, nest.wrap(Store::make(to, idx, read(from, nest)))});
  }

  const Graph& graph_;
  LoweringTarget target_;
  std::vector<std::string> names_;
  std::unordered_map<const Node*, std::string> bufferOf_;
  Module module_;
};

}  // namespace

LoweringTarget LoweringTarget::host(VectorIsa isa) {
  LoweringTarget target;
  // glibc reads the caches from cpuid; 0 where it cannot tell.
  target.l2Bytes = std::max<int64_t>(sysconf(_SC_LEVEL2_CACHE_SIZE), 0);
  // The JIT compiles for the host's features (codegen/Target.h), which
  // include AVX-512 exactly when the CPU and the OS support it, as here,
  // and the ISA is not capped at AVX2.
  if (effectiveVectorIsa(isa) == VectorIsa::Avx2) return target;
#if defined(__x86_64__) || defined(__i386__)
  if (__builtin_cpu_supports("avx512f")) target.vectorRegisters = 32, target.vectorLanes = 16;
#endif
  return target;
}

Module lowerToLoops(const Graph& graph, const LoweringTarget& target) { return Lowering(graph, target).run(); }

}  // namespace sigma

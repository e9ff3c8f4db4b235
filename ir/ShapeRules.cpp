#include "ir/ShapeRules.h"

#include "ir/Error.h"

namespace sigma {

namespace {
std::string operandList(const std::vector<TensorType>& types) {
  std::string s;
  for (const TensorType& t : types) s += (s.empty() ? "" : " and ") + t.str();
  return s;
}

// out[i] = x[perm[i]]; perm must be a permutation of 0..rank-1.
Shape transposedShape(const TensorType& x, const std::vector<int64_t>& perm) {
  std::vector<bool> seen(x.shape.size(), false);
  bool ok = perm.size() == x.shape.size();
  for (int64_t p : perm) {
    ok = ok && p >= 0 && p < int64_t(seen.size()) && !seen[size_t(p)];
    if (ok) seen[size_t(p)] = true;
  }
  if (!ok) fail("transpose: {} is not a permutation of the {} dimensions of {}", permString(perm), x.rank(), x.str());
  Shape out;
  for (int64_t p : perm) out.push_back(x.shape[size_t(p)]);
  return out;
}

// Gather/scatter_add index a table of rank >= 1 with at least one row (an
// out-of-range index is clamped to a row) by an i32 tensor of any shape.
void checkTableAndIndices(const char* op, const TensorType& table, const TensorType& idx) {
  if (table.dtype != DType::F32 || table.rank() < 1 || table.shape[0] < 1)
    fail("{}: the table must be an f32 tensor with at least one row, got {}", op, table.str());
  if (idx.dtype != DType::I32) fail("{}: the indices must be i32, got {}", op, idx.str());
}

// The gathered shape: one table row (its trailing dimensions) per index.
Shape rowsShape(const Shape& indices, const Shape& table) {
  Shape out = indices;
  out.insert(out.end(), table.begin() + 1, table.end());
  return out;
}
}  // namespace

std::string permString(const std::vector<int64_t>& perm) {
  std::string s = "{perm=[";
  for (size_t i = 0; i < perm.size(); ++i) s += (i ? "," : "") + std::to_string(perm[i]);
  return s + "]}";
}

int opArity(Op op) {
  switch (opClass(op)) {
    case OpClass::Leaf:
      return 0;
    case OpClass::Binary:
    case OpClass::MatMul:
    case OpClass::Gather:
    case OpClass::Scatter:
      return 2;
    default:
      return 1;
  }
}

TensorType inferType(Op op, const std::vector<TensorType>& operands, const OpAttrs& attrs) {
  if (opClass(op) == OpClass::Leaf) fail("{} has no operands to infer a type from", opName(op));
  if (int(operands.size()) != opArity(op))
    fail("{}: expected {} operands, got {}", opName(op), opArity(op), operands.size());
  const TensorType& x = operands[0];
  switch (opClass(op)) {
    case OpClass::Unary:
      if (x.dtype != DType::F32) fail("{}: operand must be f32, got {}", opName(op), x.str());
      return x;
    case OpClass::Binary: {
      Shape out;
      const TensorType& y = operands[1];
      if (x.dtype != y.dtype)
        fail("{}: operand types {} have different element types", opName(op), operandList(operands));
      if (!broadcastShapes(x.shape, y.shape, out))
        fail("{}: operand types {} do not broadcast", opName(op), operandList(operands));
      if (op == Op::Ge) return {DType::F32, out};  // a mask of 1.0 / 0.0 whatever the operands
      return {x.dtype, out};
    }
    case OpClass::Broadcast:
      if (!broadcastsTo(x.shape, attrs.target))
        fail("broadcast: {} does not broadcast to {}", x.str(), shapeString(attrs.target));
      return {x.dtype, attrs.target};
    case OpClass::Reduce:
      if (!broadcastsTo(attrs.target, x.shape))
        fail("{}: cannot reduce {} to {} (the result must broadcast back to the operand)", opName(op),
             x.str(), shapeString(attrs.target));
      return {x.dtype, attrs.target};
    case OpClass::MatMul: {
      const TensorType& y = operands[1];
      const Shape &sa = x.shape, &sb = y.shape;
      if (sa.size() != 2 || sb.size() != 2 || x.dtype != DType::F32 || y.dtype != DType::F32)
        fail("matmul: operands must be 2-D f32 tensors, got {}", operandList(operands));
      int64_t m = attrs.transposeA ? sa[1] : sa[0], ka = attrs.transposeA ? sa[0] : sa[1];
      int64_t kb = attrs.transposeB ? sb[1] : sb[0], n = attrs.transposeB ? sb[0] : sb[1];
      if (ka != kb)
        fail("matmul{}{}: inner dimensions differ ({} vs {}) for operands {}",
             attrs.transposeA ? " transpose_a" : "", attrs.transposeB ? " transpose_b" : "", ka, kb,
             operandList(operands));
      return {DType::F32, {m, n}};
    }
    case OpClass::Transpose:
      return {x.dtype, transposedShape(x, attrs.perm)};
    case OpClass::Reshape:
      if (numElements(attrs.target) != x.size())
        fail("reshape: {} has {} elements, {} has {}", x.str(), x.size(), shapeString(attrs.target),
             numElements(attrs.target));
      return {x.dtype, attrs.target};
    case OpClass::Gather: {
      const TensorType& idx = operands[1];
      checkTableAndIndices("gather", x, idx);
      return {DType::F32, rowsShape(idx.shape, x.shape)};
    }
    case OpClass::Scatter: {
      const TensorType& idx = operands[1];
      TensorType table{DType::F32, attrs.target};
      checkTableAndIndices("scatter_add", table, idx);
      if (x.dtype != DType::F32 || x.shape != rowsShape(idx.shape, attrs.target))
        fail("scatter_add: source {} does not match indices {} into {} (expected f32{})", x.str(), idx.str(),
             table.str(), shapeString(rowsShape(idx.shape, attrs.target)));
      return table;
    }
    case OpClass::Leaf:
      break;
  }
  fail("{}: unknown op class", opName(op));
}

std::string describeApplication(Op op, const std::vector<TensorType>& operands, const OpAttrs& attrs) {
  std::string s = opName(op);
  if (attrs.transposeA || attrs.transposeB)
    s += attrs.transposeA && attrs.transposeB ? " {transpose_a, transpose_b}"
         : attrs.transposeA                   ? " {transpose_a}"
                                              : " {transpose_b}";
  if (op == Op::Transpose) s += " " + permString(attrs.perm);
  return s + " of " + operandList(operands);
}

}  // namespace sigma

#include "ir/ShapeRules.h"

#include "ir/Error.h"

namespace sigma {

namespace {
std::string operandList(const std::vector<TensorType>& types) {
  std::string s;
  for (const TensorType& t : types) s += (s.empty() ? "" : " and ") + t.str();
  return s;
}
}  // namespace

int opArity(Op op) {
  switch (opClass(op)) {
    case OpClass::Leaf:
      return 0;
    case OpClass::Binary:
    case OpClass::MatMul:
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
      if (x.dtype != y.dtype || !broadcastShapes(x.shape, y.shape, out))
        fail("{}: operand types {} do not broadcast", opName(op), operandList(operands));
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
  return s + " of " + operandList(operands);
}

}  // namespace sigma

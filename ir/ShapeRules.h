// The graph IR's shape rules in one place: the result type of an op given
// its operand types. Graph's builders use them to type new nodes and the
// verifier uses them to re-check existing ones, so the two cannot drift.
#pragma once

#include <vector>

#include "ir/Graph.h"

namespace sigma {

// What besides the operand types decides a result type.
struct OpAttrs {
  bool transposeA = false, transposeB = false;  // MatMul
  Shape target;                                 // Broadcast, reductions, Reshape, ScatterAdd: the result shape
  std::vector<int64_t> perm;                    // Transpose
};

// The type a non-leaf op produces from `operands`, or throws sigma::Error
// naming the op and the operand types (the builders' messages). Leaf ops
// (input/param/const) carry their type and are rejected here.
TensorType inferType(Op op, const std::vector<TensorType>& operands, const OpAttrs& attrs = {});

// How many operands `op` takes (0 for leaves).
int opArity(Op op);

// "{perm=[1,0]}": the text form of a transpose's permutation attribute.
std::string permString(const std::vector<int64_t>& perm);

// "add of f32[4,3] and f32[3]", "matmul {transpose_b} of ...": how an
// application is described in type-mismatch messages (parser and verifier).
std::string describeApplication(Op op, const std::vector<TensorType>& operands, const OpAttrs& attrs);

}  // namespace sigma

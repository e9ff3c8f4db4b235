#include "passes/ConstantFolding.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <span>
#include <utility>

#include <fmt/format.h>

#include "ir/Error.h"
#include "ir/GraphPrinter.h"
#include "passes/GraphRemarks.h"
#include "passes/LowerToLoops.h"
#include "runtime/Executable.h"

namespace sigma {

namespace {

// Why a cap: a folded dense constant trades a kernel for a buffer of the
// same size, stored in the graph and the module, printed in every dump, and
// computed at compile time by the interpreter, which is orders of magnitude
// slower than compiled code. Past a few thousand elements that trade is a
// loss: compile time and IR size grow with the tensor, while the kernel it
// saves is one cheap pass over it per step. Splats cost one value whatever
// their shape and are not capped.
constexpr int64_t kMaxFoldedElements = 4096;

bool isElementwise(Op op) {
  OpClass c = opClass(op);
  return c == OpClass::Unary || c == OpClass::Binary || c == OpClass::Broadcast;
}

// Runs `n` on its constant operands: the node alone in a graph, lowered and
// interpreted. `atScalar`: all operands are splats and n is elementwise, so
// every element of the result is the same function of the same values and
// one evaluation at shape [] gives it.
std::vector<float> evaluate(const Node& n, bool atScalar) {
  Graph alone("fold");
  std::vector<Node*> operands;
  for (const Node* in : n.inputs)
    operands.push_back(alone.constant(atScalar ? TensorType{in->type.dtype, {}} : in->type, in->values));
  TensorType type = atScalar ? TensorType{n.type.dtype, {}} : n.type;
  alone.addOutput("out", alone.make(n.op, std::move(operands), std::move(type), &n));
  Executable exec(lowerToLoops(alone), {.backend = Backend::Interpreter});
  exec.run();
  std::span<const float> out = std::as_const(exec).f32("out");
  return {out.begin(), out.end()};
}

// All elements equal bit for bit (-0 and 0 are not equal; NaNs with the
// same bits are).
bool allSameBits(const std::vector<float>& v) {
  return std::all_of(v.begin(), v.end(),
                     [&](float x) { return std::bit_cast<uint32_t>(x) == std::bit_cast<uint32_t>(v[0]); });
}

}  // namespace

void foldConstants(Graph& graph, std::vector<std::string>& remarks) {
  const auto names = valueNames(graph);
  // In order: a folded node is a constant by the time its users are seen,
  // so whole constant subgraphs fold in one sweep.
  for (const auto& owned : graph.nodes()) {
    Node* n = owned.get();
    if (n->isLeaf() || n->type.dtype != DType::F32) continue;
    bool allConstant = true, allSplat = true, operandsF32 = true;
    int64_t largest = n->type.size();
    for (const Node* in : n->inputs) {
      allConstant = allConstant && in->op == Op::Constant;
      allSplat = allSplat && in->isSplat();
      operandsF32 = operandsF32 && in->type.dtype == DType::F32;
      largest = std::max(largest, in->type.size());
    }
    if (!allConstant || !operandsF32) continue;
    const bool atScalar = allSplat && isElementwise(n->op);
    if (!atScalar && largest > kMaxFoldedElements) {
      remarks.push_back(fmt::format("fold-constants: {} not folded: {} elements, more than the {} folded at most",
                                    describeNode(names, *n), largest, kMaxFoldedElements));
      continue;
    }
    std::vector<float> values;
    try {
      values = evaluate(*n, atScalar);
    } catch (const Error& e) {  // an op lowering does not know (yet): the real lowering will say so
      remarks.push_back(fmt::format("fold-constants: {} not folded: {}", describeNode(names, *n), e.what()));
      continue;
    }
    if (!values.empty() && allSameBits(values)) values.resize(1);
    std::string before = describeNode(names, *n);
    // Rebuilt rather than edited, so no attribute of the old op (whatever
    // fields Node has) lingers on the constant; identity, position, name
    // and part stay, and so do all uses.
    Node folded;
    folded.id = n->id, folded.op = Op::Constant, folded.type = n->type;
    folded.name = n->name, folded.part = n->part, folded.values = std::move(values);
    *n = std::move(folded);
    remarks.push_back(fmt::format("fold-constants: {} -> {}", before, describeConstant(*n)));
  }
}

}  // namespace sigma

#include "frontend/Importance.h"

#include <cmath>

#include "frontend/Compile.h"
#include "ir/Error.h"

namespace sigma {

std::vector<float> inputImportance(std::span<const float> w, int64_t out, int64_t in) {
  if (out <= 0 || in <= 0 || int64_t(w.size()) != out * in)
    fail("inputImportance: a [{}, {}] weight has {} values, got {}", out, in, out * in, w.size());
  // Row by row, so the reads are sequential; double keeps a 512-term sum
  // of small magnitudes exact to float precision.
  std::vector<double> sums(size_t(in), 0.0);
  for (int64_t o = 0; o < out; ++o) {
    const float* row = w.data() + o * in;
    for (int64_t i = 0; i < in; ++i) sums[size_t(i)] += std::fabs(double(row[i]));
  }
  return {sums.begin(), sums.end()};
}

InputImportance inputImportance(const Checkpoint& checkpoint, const std::string& source) {
  for (const NamedTensor& t : checkpoint.tensors) {
    if (t.shape.size() != 2) continue;
    return {t.name, t.shape[0], t.shape[1], inputImportance(t.data, t.shape[0], t.shape[1])};
  }
  fail("{}: no 2-D weight to compute input importance from (tensors must be [out, in] matrices)", source);
}

InputImportance inputImportance(const TrainingStep& step) {
  const int64_t features = step.batch() > 0 ? step.inputSize() / step.batch() : 0;
  const Graph& forward = step.forwardGraph();
  for (const std::string& name : step.parameterNames()) {
    const Node* p = forward.find(name);
    if (!p || p->type.shape.size() != 2 || p->type.shape[1] != features) continue;
    return {name, p->type.shape[0], p->type.shape[1], inputImportance(step.parameter(name), p->type.shape[0], p->type.shape[1])};
  }
  fail("inputImportance: no [out, {}] weight matrix among the parameters: which one is the first layer?", features);
}

}  // namespace sigma

#include "frontend/TrainingState.h"

#include <algorithm>
#include <cstring>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "ir/Error.h"

namespace sigma {

namespace {
constexpr const char* kKind = "sigma-training-state";

std::vector<std::string> savedTensors(const TrainingStep& step) {
  std::vector<std::string> names = step.parameterNames();
  for (const std::string& s : step.stateNames()) names.push_back(s);
  return names;
}

std::string shapeText(const std::vector<int64_t>& shape) {
  return fmt::format("[{}]", fmt::join(shape, ","));
}

const std::string& meta(const Checkpoint& c, const std::string& key, const std::string& source) {
  auto it = c.meta.find(key);
  if (it == c.meta.end()) fail("{}: the checkpoint has no '{}' entry", source, key);
  return it->second;
}

template <typename T>
T integer(const Checkpoint& c, const std::string& key, const std::string& source) {
  const std::string& text = meta(c, key, source);
  std::istringstream in(text);
  T v{};
  if (!(in >> v) || !in.eof()) fail("{}: checkpoint entry '{}' is not an integer: '{}'", source, key, text);
  return v;
}
}  // namespace

Checkpoint captureTrainingState(const TrainingStep& step, const TrainingProgress& progress) {
  Checkpoint c;
  c.meta["kind"] = kKind;
  c.meta["optimizer"] = step.optimizer().name();
  c.meta["step"] = std::to_string(step.stepCount());
  c.meta["epoch"] = std::to_string(progress.epoch);
  c.meta["seed"] = std::to_string(progress.seed);
  c.meta["lr"] = fmt::format("{}", step.learningRate());
  c.meta["metrics_bytes"] = std::to_string(progress.metricsBytes);
  for (const std::string& p : step.regularizedParameters()) {
    Regularizer r = step.regularizer(p);
    c.meta["reg." + p] = fmt::format("{} {}", r.l1, r.l2);  // shortest round-trip floats
  }
  const Graph& forward = step.forwardGraph();
  for (const std::string& name : savedTensors(step)) {
    // State buffers are not in the forward graph; they share their parameter's shape.
    const std::string owner = forward.find(name) ? name : name.substr(0, name.rfind('.'));
    c.add(name, forward.find(owner)->type.shape, step.parameter(name));
  }
  return c;
}

TrainingProgress restoreTrainingState(TrainingStep& step, const Checkpoint& c, const std::string& source) {
  if (meta(c, "kind", source) != kKind) fail("{}: not a training checkpoint (kind '{}')", source, meta(c, "kind", source));
  const std::string& optimizer = meta(c, "optimizer", source);
  if (optimizer != step.optimizer().name())
    fail("{}: the checkpoint was trained with optimizer {}, this run uses {}", source, optimizer,
         step.optimizer().name());
  for (const std::string& name : savedTensors(step)) {
    const NamedTensor* t = c.find(name);
    if (!t) fail("{}: the checkpoint has no tensor '{}' (was it saved from another model?)", source, name);
    std::span<float> into = step.parameter(name);
    if (int64_t(into.size()) != t->numel())
      fail("{}: tensor '{}' has shape {} in the checkpoint, {} elements in the model", source, name,
           shapeText(t->shape), into.size());
  }
  for (const NamedTensor& t : c.tensors) {
    auto names = savedTensors(step);
    if (std::find(names.begin(), names.end(), t.name) == names.end())
      fail("{}: the checkpoint has a tensor '{}' this model does not (was it saved from another model?)", source,
           t.name);
  }
  for (const std::string& name : savedTensors(step)) {
    const NamedTensor* t = c.find(name);
    std::memcpy(step.parameter(name).data(), t->data.data(), t->data.size() * sizeof(float));
  }
  for (const std::string& p : step.regularizedParameters()) {
    auto it = c.meta.find("reg." + p);
    if (it == c.meta.end()) continue;  // saved before p was regularized: keep the compiled coefficients
    std::istringstream in(it->second);
    float l1 = 0, l2 = 0;
    if (!(in >> l1 >> l2)) fail("{}: checkpoint entry 'reg.{}' is not two numbers: '{}'", source, p, it->second);
    step.setRegularizer(p, {l1, l2, step.regularizer(p).proximal});
  }
  step.setStepCount(integer<int64_t>(c, "step", source));
  TrainingProgress progress;
  progress.epoch = integer<int64_t>(c, "epoch", source);
  progress.seed = integer<uint64_t>(c, "seed", source);
  progress.metricsBytes = integer<int64_t>(c, "metrics_bytes", source);
  return progress;
}

}  // namespace sigma

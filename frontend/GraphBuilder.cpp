#include "frontend/GraphBuilder.h"

#include "ir/Error.h"

namespace sigma {

GraphBuilder::GraphBuilder(std::string name) : graph_(std::make_unique<Graph>(std::move(name))) {}

Tensor GraphBuilder::input(const std::string& name, Shape shape, DType dtype) {
  return {graph_.get(), graph_->input(name, {dtype, std::move(shape)})};
}

Tensor GraphBuilder::parameter(const std::string& name, Shape shape, Initializer init, Regularizer reg,
                               int64_t fanIn) {
  Node* n = graph_->parameter(name, {DType::F32, std::move(shape)});
  specs_.push_back({name, init, reg, fanIn});
  return {graph_.get(), n};
}

Tensor GraphBuilder::constant(float value) { return sigma::constant(graph_.get(), value); }

std::string GraphBuilder::freshName(const std::string& prefix) {
  for (int i = 1;; ++i) {
    std::string candidate = prefix + std::to_string(i);
    bool used = false;
    for (const auto& n : graph_->nodes())
      used |= n->name == candidate || n->name.rfind(candidate + ".", 0) == 0;
    if (!used) return candidate;
  }
}

const ParameterSpec* GraphBuilder::spec(const std::string& name) const {
  for (const auto& s : specs_)
    if (s.name == name) return &s;
  return nullptr;
}

}  // namespace sigma

// The functional graph builder: inputs, parameters (with their initializer
// and regularizer) and, through frontend/Tensor.h, ops. The nn modules are
// built on it; `compile` turns what it built into a training step.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "frontend/Init.h"
#include "frontend/Regularizer.h"
#include "frontend/Tensor.h"

namespace sigma {

// What the training step needs to know about a parameter beyond its node.
struct ParameterSpec {
  std::string name;
  Initializer init;
  Regularizer reg;
  int64_t fanIn = 0;  // overrides the fan-in from the shape (a bias uses its layer's)
};

class GraphBuilder {
 public:
  explicit GraphBuilder(std::string name = "model");

  Tensor input(const std::string& name, Shape shape, DType dtype = DType::F32);
  Tensor parameter(const std::string& name, Shape shape, Initializer init = init::torch_default(),
                   Regularizer reg = {}, int64_t fanIn = 0);
  Tensor constant(float value);

  // A name not used yet in the graph: prefix1, prefix2, ...
  std::string freshName(const std::string& prefix);

  Graph& graph() { return *graph_; }
  const Graph& graph() const { return *graph_; }
  const std::vector<ParameterSpec>& parameterSpecs() const { return specs_; }
  const ParameterSpec* spec(const std::string& name) const;

 private:
  std::unique_ptr<Graph> graph_;  // stable address: Tensors point into it
  std::vector<ParameterSpec> specs_;
};

}  // namespace sigma

// nn modules on top of the functional graph builder (PyTorch-style names).
//
//   nn::Sequential net{
//       nn::Linear(2, 3, init::xavier_uniform(), reg::l1(1e-4) + reg::l2(1e-4)),
//       nn::Tanh(),
//       nn::Linear(3, 1, init::xavier_uniform(), reg::l1(1e-4) + reg::l2(1e-4)),
//   };
//
// A module describes layers; forward() adds their ops and parameters to a
// GraphBuilder. Parameters are named <layer>.weight / <layer>.bias, layers
// fc1, fc2, ... unless named with .named("hidden").
#pragma once

#include <concepts>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "frontend/GraphBuilder.h"

namespace sigma::nn {

class Module {
 public:
  virtual ~Module() = default;
  virtual Tensor forward(GraphBuilder& builder, Tensor x) const = 0;
  virtual std::string str() const = 0;  // "Linear(2, 3, xavier_uniform, l1(0.0001))"
  // Features per sample the module expects, when it knows (0 otherwise).
  virtual int64_t inFeatures() const { return 0; }
};

// y = x · Wᵀ + b with W of shape [out, in] (PyTorch's layout), b of shape [out].
// The regularizer applies to W; biases are not regularized (BRIEF §2).
class Linear : public Module {
 public:
  Linear(int64_t in, int64_t out, Initializer weightInit = init::torch_default(), Regularizer reg = {},
         bool bias = true);
  Linear& named(std::string name) { name_ = std::move(name); return *this; }
  Linear& biasInit(Initializer init) { biasInit_ = init; return *this; }

  Tensor forward(GraphBuilder& builder, Tensor x) const override;
  std::string str() const override;
  int64_t inFeatures() const override { return in_; }
  int64_t outFeatures() const { return out_; }

 private:
  int64_t in_, out_;
  Initializer weightInit_, biasInit_ = init::torch_default();
  Regularizer reg_;
  bool bias_;
  std::string name_;
};

class Tanh : public Module {
 public:
  Tensor forward(GraphBuilder&, Tensor x) const override { return tanh(x); }
  std::string str() const override { return "Tanh()"; }
};

// Activations; the formulas (and where they differ from PyTorch's) are in
// frontend/Tensor.h.
class ReLU : public Module {
 public:
  Tensor forward(GraphBuilder&, Tensor x) const override { return relu(x); }
  std::string str() const override { return "ReLU()"; }
};

// maximum(a·x, x); PyTorch's default slope 0.01. The slope must be in [0, 1).
class LeakyReLU : public Module {
 public:
  explicit LeakyReLU(float negativeSlope = 0.01f);
  Tensor forward(GraphBuilder&, Tensor x) const override { return leaky_relu(x, slope_); }
  std::string str() const override;

 private:
  float slope_;
};

class Sigmoid : public Module {
 public:
  Tensor forward(GraphBuilder&, Tensor x) const override { return sigmoid(x); }
  std::string str() const override { return "Sigmoid()"; }
};

// The tanh approximation (PyTorch's GELU(approximate='tanh'), not its
// erf-exact default).
class GELU : public Module {
 public:
  Tensor forward(GraphBuilder&, Tensor x) const override { return gelu(x); }
  std::string str() const override { return "GELU(approximate='tanh')"; }
};

// Holds any module by value (for Sequential's brace initialization).
class AnyModule {
 public:
  template <typename M>
    requires std::derived_from<M, Module>
  AnyModule(M module) : module_(std::make_shared<M>(std::move(module))) {}
  const Module& get() const { return *module_; }

 private:
  std::shared_ptr<const Module> module_;
};

class Sequential : public Module {
 public:
  Sequential(std::initializer_list<AnyModule> layers) : layers_(layers) {}
  explicit Sequential(std::vector<AnyModule> layers) : layers_(std::move(layers)) {}
  void push_back(AnyModule layer) { layers_.push_back(std::move(layer)); }

  Tensor forward(GraphBuilder& builder, Tensor x) const override;
  std::string str() const override;
  size_t size() const { return layers_.size(); }
  int64_t inFeatures() const override;

 private:
  std::vector<AnyModule> layers_;
};

}  // namespace sigma::nn

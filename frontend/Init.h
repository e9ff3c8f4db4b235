// Parameter initializers: seeded and reproducible (runtime/Rng.h).
//
// Fan-in and fan-out follow PyTorch for a weight of shape [out, in]:
// fan_in = in, fan_out = out; a 1-D parameter (a bias) uses its layer's
// fan-in, passed in by the layer.
#pragma once

#include <string>

#include "ir/Type.h"
#include "runtime/Rng.h"

namespace sigma {

struct Initializer {
  enum class Kind { TorchDefault, XavierUniform, XavierNormal, HeUniform, HeNormal, Uniform, Normal, Constant };
  Kind kind = Kind::TorchDefault;
  float gain = 1.0f;   // Xavier/He gain; Uniform bound; Normal std; Constant value

  // Fills `data` (shape `shape`); fanIn overrides the fan-in taken from the shape.
  void fill(float* data, const Shape& shape, Rng& rng, int64_t fanIn = 0) const;
  std::string str() const;  // "xavier_uniform", "constant(0)", ...
};

namespace init {
// U(-1/sqrt(fan_in), 1/sqrt(fan_in)): PyTorch's nn.Linear default for weight and bias.
inline Initializer torch_default() { return {Initializer::Kind::TorchDefault}; }
// U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)).
inline Initializer xavier_uniform(float gain = 1) { return {Initializer::Kind::XavierUniform, gain}; }
// N(0, s) with s = gain * sqrt(2 / (fan_in + fan_out)).
inline Initializer xavier_normal(float gain = 1) { return {Initializer::Kind::XavierNormal, gain}; }
// U(-a, a) with a = sqrt(6 / fan_in) (Kaiming, for ReLU).
inline Initializer he_uniform() { return {Initializer::Kind::HeUniform}; }
// N(0, s) with s = sqrt(2 / fan_in).
inline Initializer he_normal() { return {Initializer::Kind::HeNormal}; }
inline Initializer uniform(float bound) { return {Initializer::Kind::Uniform, bound}; }
inline Initializer normal(float std) { return {Initializer::Kind::Normal, std}; }
inline Initializer constant(float value) { return {Initializer::Kind::Constant, value}; }
inline Initializer zeros() { return constant(0); }
}  // namespace init

}  // namespace sigma

#include "frontend/Init.h"

#include <fmt/format.h>

namespace sigma {

void Initializer::fill(float* data, const Shape& shape, Rng& rng, int64_t fanIn) const {
  const int64_t n = numElements(shape);
  // Weight [out, in, ...]: fan_in = in * receptive field, fan_out = out * receptive field.
  int64_t receptive = 1;
  for (size_t i = 2; i < shape.size(); ++i) receptive *= shape[i];
  int64_t in = shape.size() >= 2 ? shape[1] * receptive : (shape.empty() ? 1 : shape[0]);
  int64_t out = shape.size() >= 2 ? shape[0] * receptive : (shape.empty() ? 1 : shape[0]);
  if (fanIn > 0) in = fanIn;
  auto fillUniform = [&](double bound) {
    for (int64_t i = 0; i < n; ++i) data[i] = rng.uniform(bound);
  };
  auto fillNormal = [&](double std) {
    for (int64_t i = 0; i < n; ++i) data[i] = float(std * rng.normal());
  };
  switch (kind) {
    case Kind::TorchDefault: return fillUniform(1.0 / std::sqrt(double(in)));
    case Kind::XavierUniform: return fillUniform(gain * std::sqrt(6.0 / double(in + out)));
    case Kind::XavierNormal: return fillNormal(gain * std::sqrt(2.0 / double(in + out)));
    case Kind::HeUniform: return fillUniform(std::sqrt(6.0 / double(in)));
    case Kind::HeNormal: return fillNormal(std::sqrt(2.0 / double(in)));
    case Kind::Uniform: return fillUniform(gain);
    case Kind::Normal: return fillNormal(gain);
    case Kind::Constant:
      for (int64_t i = 0; i < n; ++i) data[i] = gain;
      return;
  }
}

std::string Initializer::str() const {
  switch (kind) {
    case Kind::TorchDefault: return "torch_default";
    case Kind::XavierUniform: return gain == 1 ? "xavier_uniform" : fmt::format("xavier_uniform({})", gain);
    case Kind::XavierNormal: return gain == 1 ? "xavier_normal" : fmt::format("xavier_normal({})", gain);
    case Kind::HeUniform: return "he_uniform";
    case Kind::HeNormal: return "he_normal";
    case Kind::Uniform: return fmt::format("uniform({})", gain);
    case Kind::Normal: return fmt::format("normal({})", gain);
    case Kind::Constant: return fmt::format("constant({})", gain);
  }
  return "?";
}

}  // namespace sigma

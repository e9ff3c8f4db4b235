#include "frontend/Modules.h"

#include <fmt/format.h>

#include "ir/Error.h"

namespace sigma::nn {

Linear::Linear(int64_t in, int64_t out, Initializer weightInit, Regularizer reg, bool bias)
    : in_(in), out_(out), weightInit_(weightInit), reg_(reg), bias_(bias) {
  if (in <= 0 || out <= 0) fail("Linear({}, {}): feature counts must be positive", in, out);
}

Tensor Linear::forward(GraphBuilder& builder, Tensor x) const {
  if (x.shape().size() != 2 || x.shape()[1] != in_)
    fail("{}: expects an input of shape [batch,{}], got {}", str(), in_, x.type().str());
  std::string name = name_.empty() ? builder.freshName("fc") : name_;
  Tensor w = builder.parameter(name + ".weight", {out_, in_}, weightInit_, reg_);
  Tensor y = matmul(x, w, false, true);
  if (!bias_) return y;
  return y + builder.parameter(name + ".bias", {out_}, biasInit_, {}, in_);
}

std::string Linear::str() const {
  std::string s = fmt::format("Linear({}, {}", in_, out_);
  if (weightInit_.kind != Initializer::Kind::TorchDefault) s += ", " + weightInit_.str();
  if (!reg_.empty()) s += ", " + reg_.str();
  return s + (bias_ ? ")" : ", no bias)");
}

LeakyReLU::LeakyReLU(float negativeSlope) : slope_(negativeSlope) {
  if (!(negativeSlope >= 0.0f && negativeSlope < 1.0f))
    fail("LeakyReLU({}): the negative slope must be in [0, 1)", negativeSlope);
}

std::string LeakyReLU::str() const { return fmt::format("LeakyReLU({})", slope_); }

Tensor Sequential::forward(GraphBuilder& builder, Tensor x) const {
  // A shape error names the layer it happened in: the user's call site, as
  // far as a module knows it (e.g. "Sequential layer 3: Linear(6, 2): expects an input ...").
  for (size_t i = 0; i < layers_.size(); ++i) {
    try {
      x = layers_[i].get().forward(builder, x);
    } catch (const Error& e) {
      const std::string layer = layers_[i].get().str(), what = e.what();
      if (what.rfind(layer, 0) == 0) fail("Sequential layer {}: {}", i + 1, what);
      fail("Sequential layer {}, {}: {}", i + 1, layer, what);
    }
  }
  return x;
}

int64_t Sequential::inFeatures() const {
  for (const AnyModule& layer : layers_)
    if (int64_t n = layer.get().inFeatures()) return n;
  return 0;
}

std::string Sequential::str() const {
  std::string s = "Sequential(";
  for (size_t i = 0; i < layers_.size(); ++i) s += (i ? ", " : "") + layers_[i].get().str();
  return s + ")";
}

}  // namespace sigma::nn

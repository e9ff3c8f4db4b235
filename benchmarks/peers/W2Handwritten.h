// W2 hand-written peer, after ../shared/peers/w2_handwritten.cpp: the MLP
// 784-512-256-10 (ReLU, softmax cross-entropy, batch 128), SGD momentum 0.9
// lr 0.01, L2 5e-4·ΣW² + L1 1e-5·Σ|W| on the weight matrices, and Σw, Σ|w|,
// Σw² every step. Manual backward; the GEMMs from a specialist library
// (peers/Gemm.h), everything else in fused OpenMP loops (bias + ReLU,
// softmax-CE + its gradient, ReLU mask, and one pass per weight for the
// penalty gradient + momentum update + statistics). This is the peer issue
// 5 sets W2's target by: Sigma's step must be no slower.
#pragma once

#include <cstdint>
#include <vector>

#include "benchmarks/peers/Gemm.h"

namespace sigma::peers {

class W2Handwritten {
 public:
  static constexpr int kBatch = 128, kIn = 784, kHidden1 = 512, kHidden2 = 256, kClasses = 10;

  struct Layer {  // y = x·Wᵀ + b, W [out × in] as torch's (and Sigma's) Linear
    int in, out;
    std::vector<float> W, b, gW, gb, mW, mb;
  };
  struct Stats {
    double sum = 0, sumabs = 0, sumsq = 0;
  };

  // Weights: PyTorch's default init from splitmix64 seed 2 (fc1, fc2, fc3);
  // then the batch from the same generator: x uniform in [-1, 1), labels.
  explicit W2Handwritten(GemmLibrary library);

  void step();  // forward, backward, updates, statistics of the new weights
  const Stats& stats() const { return stats_; }
  const Layer& layer(int i) const { return layers_[i]; }
  const std::vector<float>& x() const { return x_; }
  const std::vector<int>& labels() const { return labels_; }

 private:
  void forward(const Layer& l, const float* x, float* z, bool relu) const;
  void backward(Layer& l, const float* x, const float* dy, float* dx);
  void update(Layer& l);

  GemmLibrary library_;
  Layer layers_[3];
  std::vector<float> x_, h1_, h2_, logits_, dh1_, dh2_, dlogits_;
  std::vector<int> labels_;
  Stats stats_;
};

}  // namespace sigma::peers

// W1 hand-written peer, scalar variant of ../shared/peers/w1_handwritten.cpp:
// MLP 2-3-1 (tanh hidden, linear out), MSE (mean) on the 4 XOR samples, SGD
// lr 0.1, L1 1e-4 + L2 1e-4 on both weight matrices (not the biases) added to
// the loss, and after every step Σw, Σ|w|, Σw² over the 9 weight entries.
// Manual forward and backward with glibc tanhf; the batch is runtime data.
//
// The statistics are of the weights after the update, as in the shared
// peer: they are the weights the next step uses, the numbers Sigma reports
// one step later (its statistics are on the weights a step used). The cost
// is the same either way.
#pragma once

#include <cmath>
#include <iterator>

#include "benchmarks/peers/PeerCommon.h"

namespace sigma::peers {

struct W1Result {
  float loss, sum, sumabs, sumsq;
};

// The vector peers' tanh (W1Avx2.h, W1Avx512.h): x·P(x²)/Q(x²) on x clamped
// to ±kClamp, Eigen's rational minimax fit (about 1e-6 from tanhf), each
// polynomial evaluated by Horner's rule from its highest coefficient.
namespace tanh_minimax {
constexpr float kClamp = 7.90531110763549805f;
constexpr float kP[] = {-2.76076847742355e-16f, 2.00018790482477e-13f, -8.60467152213735e-11f, 5.12229709037114e-08f,
                        1.48572235717979e-05f,  6.37261928875436e-04f, 4.89352455891786e-03f};
constexpr float kQ[] = {1.19825839466702e-06f, 1.18534705686654e-04f, 2.26843463243900e-03f, 4.89352518554385e-03f};
}  // namespace tanh_minimax

class W1Handwritten {
 public:
  struct Params {
    float W1[3][2], b1[3], W2[3], b2;
  };

  // Initial weights: PyTorch's default init from splitmix64 seed 1, layer 1
  // (weight, bias) then layer 2, as every W1 implementation does.
  W1Handwritten(const float* x /*4×2*/, const float* t /*4*/) {
    for (int n = 0; n < 4; ++n) X[n][0] = x[2 * n], X[n][1] = x[2 * n + 1], T[n] = t[n];
    Rng rng(1);
    initLinear(rng, &p.W1[0][0], p.b1, 3, 2);
    initLinear(rng, p.W2, &p.b2, 1, 3);
  }

  // One training step; returns the loss (incl. penalties, on the pre-update
  // weights) and the statistics of the updated weights.
  W1Result step() {
    constexpr float lr = hp::w1_lr, l1 = hp::w1_l1, l2 = hp::w1_l2;
    float z[12], h[12];  // index j*4 + n (hidden unit j, sample n)
    for (int j = 0; j < 3; ++j)
      for (int n = 0; n < 4; ++n) z[j * 4 + n] = p.W1[j][0] * X[n][0] + p.W1[j][1] * X[n][1] + p.b1[j];
    for (int i = 0; i < 12; ++i) h[i] = std::tanh(z[i]);

    float dy[4], loss = 0;
    for (int n = 0; n < 4; ++n) {
      float y = p.b2 + p.W2[0] * h[n] + p.W2[1] * h[4 + n] + p.W2[2] * h[8 + n];
      float e = y - T[n];
      loss += e * e;
      dy[n] = e * (2.0f / 4);  // d mean(e²) / dy
    }
    loss *= 0.25f;

    float gW1[3][2] = {}, gb1[3] = {}, gW2[3] = {}, gb2 = dy[0] + dy[1] + dy[2] + dy[3];
    for (int j = 0; j < 3; ++j)
      for (int n = 0; n < 4; ++n) {
        float hj = h[j * 4 + n];
        gW2[j] += dy[n] * hj;
        float dz = dy[n] * p.W2[j] * (1 - hj * hj);
        gb1[j] += dz;
        gW1[j][0] += dz * X[n][0];
        gW1[j][1] += dz * X[n][1];
      }

    // Penalties on the pre-update weights, then the SGD update.
    float penAbs = 0, penSq = 0;
    auto upd = [&](float& w, float g) {
      penAbs += std::fabs(w);
      penSq += w * w;
      w -= lr * (g + l1 * sign(w) + 2 * l2 * w);
    };
    for (int j = 0; j < 3; ++j) {
      upd(p.W1[j][0], gW1[j][0]);
      upd(p.W1[j][1], gW1[j][1]);
      upd(p.W2[j], gW2[j]);
      p.b1[j] -= lr * gb1[j];
    }
    p.b2 -= lr * gb2;

    W1Result o{loss + l1 * penAbs + l2 * penSq, 0, 0, 0};
    auto acc = [&](float v) { o.sum += v, o.sumabs += std::fabs(v), o.sumsq += v * v; };
    for (int j = 0; j < 3; ++j) acc(p.W1[j][0]), acc(p.W1[j][1]), acc(p.W2[j]);
    return o;
  }

  Params p;

 private:
  static float sign(float w) { return float((w > 0) - (w < 0)); }  // sign(0) = 0
  float X[4][2], T[4];
};

}  // namespace sigma::peers

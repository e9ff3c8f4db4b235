// See W2Handwritten.h. The loops follow ../shared/peers/w2_handwritten.cpp.
#include "benchmarks/peers/W2Handwritten.h"

#include <algorithm>
#include <cmath>

#include "benchmarks/peers/PeerCommon.h"

namespace sigma::peers {
namespace {
constexpr float kLr = 0.01f, kMomentum = 0.9f, kL1 = 1e-5f, kL2 = 5e-4f;
}

W2Handwritten::W2Handwritten(GemmLibrary library) : library_(library) {
  Rng rng(2);
  const int sizes[4] = {kIn, kHidden1, kHidden2, kClasses};
  for (int i = 0; i < 3; ++i) {
    Layer& l = layers_[i];
    l.in = sizes[i], l.out = sizes[i + 1];
    const size_t n = size_t(l.in) * l.out;
    l.W.resize(n), l.gW.resize(n), l.mW.assign(n, 0.0f);
    l.b.resize(l.out), l.gb.resize(l.out), l.mb.assign(l.out, 0.0f);
    initLinear(rng, l.W.data(), l.b.data(), l.out, l.in);
  }
  x_.resize(size_t(kBatch) * kIn);
  for (float& v : x_) v = rng.uniform(1.0);
  labels_.resize(kBatch);
  for (int& c : labels_) c = int(rng.next() % kClasses);
  h1_.resize(size_t(kBatch) * kHidden1), dh1_.resize(h1_.size());
  h2_.resize(size_t(kBatch) * kHidden2), dh2_.resize(h2_.size());
  logits_.resize(size_t(kBatch) * kClasses), dlogits_.resize(logits_.size());
}

// z = x·Wᵀ + b, then ReLU in place.
void W2Handwritten::forward(const Layer& l, const float* x, float* z, bool relu) const {
  gemm(library_, false, true, kBatch, l.out, l.in, x, l.W.data(), z);
  const float* b = l.b.data();
#pragma omp parallel for schedule(static)
  for (int r = 0; r < kBatch; ++r)
#pragma omp simd
    for (int j = 0; j < l.out; ++j) {
      float v = z[size_t(r) * l.out + j] + b[j];
      z[size_t(r) * l.out + j] = relu ? std::max(v, 0.0f) : v;
    }
}

// gW = dyᵀ·x, gb = Σ_rows dy, and dx = dy·W masked by the previous ReLU
// (x > 0) when dx is wanted.
void W2Handwritten::backward(Layer& l, const float* x, const float* dy, float* dx) {
  gemm(library_, true, false, l.out, l.in, kBatch, dy, x, l.gW.data());
  std::fill(l.gb.begin(), l.gb.end(), 0.0f);
  for (int r = 0; r < kBatch; ++r)
    for (int j = 0; j < l.out; ++j) l.gb[j] += dy[size_t(r) * l.out + j];
  if (!dx) return;
  gemm(library_, false, false, kBatch, l.in, l.out, dy, l.W.data(), dx);
  const long n = long(kBatch) * l.in;
#pragma omp parallel for simd schedule(static)
  for (long i = 0; i < n; ++i)
    if (x[i] <= 0) dx[i] = 0;
}

// One pass per weight: g + 2·l2·w + l1·sign(w), momentum, update, and the
// statistics of the new weight in 16 float lanes per 4096-element block.
void W2Handwritten::update(Layer& l) {
  float* __restrict w = l.W.data();
  const float* __restrict g = l.gW.data();
  float* __restrict m = l.mW.data();
  const long n = long(l.W.size());  // a multiple of 16 for all three layers
  double s = 0, a = 0, q = 0;
#pragma omp parallel for schedule(static) reduction(+ : s, a, q)
  for (long block = 0; block < n; block += 4096) {
    float bs[16] = {}, ba[16] = {}, bq[16] = {};
    for (long i = block; i < std::min(n, block + 4096); i += 16)
      for (int k = 0; k < 16; ++k) {
        float wi = w[i + k];
        float sign = float((wi > 0) - (wi < 0));
        float mi = kMomentum * m[i + k] + (g[i + k] + 2 * kL2 * wi + kL1 * sign);
        m[i + k] = mi;
        wi -= kLr * mi;
        w[i + k] = wi;
        bs[k] += wi, ba[k] += std::fabs(wi), bq[k] += wi * wi;
      }
    for (int k = 0; k < 16; ++k) s += bs[k], a += ba[k], q += bq[k];
  }
  stats_.sum += s, stats_.sumabs += a, stats_.sumsq += q;
  for (int j = 0; j < l.out; ++j) {  // biases: no penalty, not in the statistics
    l.mb[j] = kMomentum * l.mb[j] + l.gb[j];
    l.b[j] -= kLr * l.mb[j];
  }
}

void W2Handwritten::step() {
  forward(layers_[0], x_.data(), h1_.data(), true);
  forward(layers_[1], h1_.data(), h2_.data(), true);
  forward(layers_[2], h2_.data(), logits_.data(), false);
  for (int r = 0; r < kBatch; ++r) {  // softmax cross-entropy (mean): its gradient
    const float* z = &logits_[size_t(r) * kClasses];
    const float top = *std::max_element(z, z + kClasses);
    float total = 0;
    for (int k = 0; k < kClasses; ++k) total += std::exp(z[k] - top);
    for (int k = 0; k < kClasses; ++k)
      dlogits_[size_t(r) * kClasses + k] = (std::exp(z[k] - top) / total - float(k == labels_[r])) / kBatch;
  }
  backward(layers_[2], h2_.data(), dlogits_.data(), dh2_.data());
  backward(layers_[1], h1_.data(), dh2_.data(), dh1_.data());
  backward(layers_[0], x_.data(), dh1_.data(), nullptr);
  stats_ = Stats{};
  for (Layer& l : layers_) update(l);
}

}  // namespace sigma::peers

// What every peer implementation shares with ../shared/peers/common.h: the
// splitmix64 generator (so Sigma and the peers start from identical weights
// and data), PyTorch's default Linear init, and the workloads'
// hyper-parameters. Copied rather than included: the project must build
// without ../shared, and the peers must not depend on Sigma's own code.
#pragma once

#include <cmath>
#include <cstdint>

namespace sigma::peers {

struct Rng {
  uint64_t s;
  explicit Rng(uint64_t seed) : s(seed) {}
  uint64_t next() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [-bound, bound), computed in double then rounded to float.
  float uniform(double bound) { return float((double(next() >> 11) * 0x1.0p-53 * 2.0 - 1.0) * bound); }
};

// PyTorch-like Linear init: U(±1/sqrt(fan_in)) for weight [out × in], then bias [out].
inline void initLinear(Rng& rng, float* w, float* b, int out, int in) {
  double bound = 1.0 / std::sqrt(double(in));
  for (int i = 0; i < out * in; ++i) w[i] = rng.uniform(bound);
  for (int i = 0; i < out; ++i) b[i] = rng.uniform(bound);
}

namespace hp {
constexpr float w1_lr = 0.1f, w1_l1 = 1e-4f, w1_l2 = 1e-4f;
constexpr int64_t w3_n = int64_t(16) << 20;  // 16M floats
constexpr float w3_lr = 0.01f, w3_mom = 0.9f, w3_l1 = 1e-5f, w3_l2 = 5e-4f;
}  // namespace hp

}  // namespace sigma::peers

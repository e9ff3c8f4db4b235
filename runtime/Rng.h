// A small, portable, seeded random generator (splitmix64). Sigma does not use
// <random>'s distributions because their output differs between standard
// libraries; with this generator the same seed gives the same initial
// weights and shuffles everywhere (and the same as ../shared/peers/common.h).
#pragma once

#include <cmath>
#include <cstdint>

namespace sigma {

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}

  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1) with 53 random bits.
  double unit() { return double(next() >> 11) * 0x1.0p-53; }
  // Uniform in [-bound, bound), computed in double then rounded to float.
  float uniform(double bound) { return float((unit() * 2.0 - 1.0) * bound); }
  // Standard normal by Box-Muller (one value per call, the simplest stable form).
  float normal() {
    double u1 = (double(next() >> 11) + 1.0) * 0x1.0p-53, u2 = unit();
    return float(std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2));
  }
  // Uniform integer in [0, n).
  uint64_t below(uint64_t n) { return n ? next() % n : 0; }

 private:
  uint64_t state_;
};

}  // namespace sigma

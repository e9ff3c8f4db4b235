// W1 hand-written peer for AVX2 hosts: W1Avx512.h's whole-step-in-registers
// form in 256-bit vectors. Lane j·4 + n is hidden unit j on sample n, as
// there, split over two ymm registers: `lo` holds units 0 and 1 (lanes 0..7),
// `hi` unit 2 (lanes 0..3; lanes 4..7 stay zero). Each op runs on both
// halves, a gradient is a 4-lane group sum inside a 128-bit lane, and every
// parameter stays in a register from one step to the next. The same tanh
// approximation as W1Avx512.h (Eigen's minimax fit, about 1e-6 from tanhf).
// Only on an AVX2 + FMA build (-march=native on such a host); elsewhere
// kAvailable is false and the benchmark row is not registered.
#pragma once

#include "benchmarks/peers/W1Handwritten.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#endif

namespace sigma::peers {

#if defined(__AVX2__) && defined(__FMA__)
class W1Avx2 {
 public:
  static constexpr bool kAvailable = true;

  // A pair of ymm registers: units 0 and 1, and unit 2.
  struct V {
    __m256 lo, hi;
  };

  // The same initial weights as W1Handwritten (which draws them).
  W1Avx2(const float* x /*4×2*/, const float* t /*4*/, const W1Handwritten::Params& p) {
    alignas(32) float x0[16] = {}, x1[16] = {}, w10[16] = {}, w11[16] = {}, b1[16] = {}, w2[16] = {};
    for (int j = 0; j < 3; ++j)
      for (int n = 0; n < 4; ++n) {
        x0[j * 4 + n] = x[2 * n], x1[j * 4 + n] = x[2 * n + 1];
        w10[j * 4 + n] = p.W1[j][0], w11[j * 4 + n] = p.W1[j][1], b1[j * 4 + n] = p.b1[j], w2[j * 4 + n] = p.W2[j];
      }
    auto load = [](const float* a) { return V{_mm256_load_ps(a), _mm256_load_ps(a + 8)}; };
    X0 = load(x0), X1 = load(x1), W10 = load(w10), W11 = load(w11), B1 = load(b1), W2 = load(w2);
    T = _mm_loadu_ps(t);
    b2 = p.b2;
  }

  W1Result step() {
    constexpr float lr = hp::w1_lr, l1 = hp::w1_l1, l2 = hp::w1_l2;
    const V h = map([](__m256 w10, __m256 x0, __m256 w11, __m256 x1, __m256 b1) {
      return tanh8(_mm256_fmadd_ps(w10, x0, _mm256_fmadd_ps(w11, x1, b1)));
    }, W10, X0, W11, X1, B1);
    // y[n] = b2 + Σ_j W2[j]·h[j·4 + n]: the three used 128-bit blocks added.
    const __m256 t0 = _mm256_mul_ps(W2.lo, h.lo), t1 = _mm256_mul_ps(W2.hi, h.hi);
    const __m128 y = _mm_add_ps(_mm_add_ps(_mm256_castps256_ps128(t0), _mm256_extractf128_ps(t0, 1)),
                                _mm_add_ps(_mm256_castps256_ps128(t1), _mm_set1_ps(b2)));
    const __m128 e = _mm_sub_ps(y, T);
    const float loss = 0.25f * sum4(_mm_mul_ps(e, e));
    const __m128 dy = _mm_mul_ps(e, _mm_set1_ps(2.0f / 4));
    const __m256 dyv = _mm256_set_m128(dy, dy);
    const V gW2 = map([&](__m256 hv) { return groupSum(_mm256_mul_ps(dyv, hv)); }, h);
    const V dz = map([&](__m256 w2, __m256 hv) {
      return _mm256_mul_ps(_mm256_mul_ps(dyv, w2), _mm256_fnmadd_ps(hv, hv, _mm256_set1_ps(1)));
    }, W2, h);
    const V gB1 = map(groupSum, dz);
    const V gW10 = map([](__m256 d, __m256 x) { return groupSum(_mm256_mul_ps(d, x)); }, dz, X0);
    const V gW11 = map([](__m256 d, __m256 x) { return groupSum(_mm256_mul_ps(d, x)); }, dz, X1);
    // Penalties on the pre-update weights (one lane per hidden unit), then SGD.
    const float penalty = l1 * unitSum(map(absSum3, W10, W11, W2)) + l2 * unitSum(map(sqSum3, W10, W11, W2));
    W10 = map(update, W10, gW10), W11 = map(update, W11, gW11), W2 = map(update, W2, gW2);
    B1 = map([](__m256 b, __m256 g) { return _mm256_fnmadd_ps(_mm256_set1_ps(lr), g, b); }, B1, gB1);
    b2 -= lr * sum4(dy);
    const V s = map([](__m256 a, __m256 b, __m256 c) { return _mm256_add_ps(_mm256_add_ps(a, b), c); }, W10, W11, W2);
    return {loss + penalty, unitSum(s), unitSum(map(absSum3, W10, W11, W2)), unitSum(map(sqSum3, W10, W11, W2))};
  }

 private:
  // f applied to both halves.
  template <typename F, typename... Vs>
  static V map(F f, const Vs&... v) {
    return V{f(v.lo...), f(v.hi...)};
  }
  static float sum4(__m128 v) {
    v = _mm_add_ps(v, _mm_movehl_ps(v, v));
    return _mm_cvtss_f32(_mm_add_ss(v, _mm_movehdup_ps(v)));
  }
  // Σ over the hidden units of a per-lane value: lanes 0 and 4 of lo, lane 0 of hi.
  static float unitSum(const V& v) {
    return _mm256_cvtss_f32(v.lo) + _mm_cvtss_f32(_mm256_extractf128_ps(v.lo, 1)) + _mm256_cvtss_f32(v.hi);
  }
  // Each 4-lane group's sum, in all four of its lanes.
  static __m256 groupSum(__m256 v) {
    v = _mm256_add_ps(v, _mm256_permute_ps(v, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm256_add_ps(v, _mm256_permute_ps(v, _MM_SHUFFLE(1, 0, 3, 2)));
  }
  static __m256 abs8(__m256 v) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), v); }
  static __m256 absSum3(__m256 a, __m256 b, __m256 c) { return _mm256_add_ps(_mm256_add_ps(abs8(a), abs8(b)), abs8(c)); }
  static __m256 sqSum3(__m256 a, __m256 b, __m256 c) {
    return _mm256_fmadd_ps(a, a, _mm256_fmadd_ps(b, b, _mm256_mul_ps(c, c)));
  }
  static __m256 update(__m256 w, __m256 g) {
    constexpr float lr = hp::w1_lr, l1 = hp::w1_l1, l2 = hp::w1_l2;
    // l1·sign(w), sign(0) = 0: ±l1 with w's sign bit, zero where w is 0.
    const __m256 nonzero = _mm256_cmp_ps(w, _mm256_setzero_ps(), _CMP_NEQ_OQ);
    const __m256 sign = _mm256_and_ps(nonzero, _mm256_or_ps(_mm256_set1_ps(l1), _mm256_and_ps(w, _mm256_set1_ps(-0.0f))));
    g = _mm256_add_ps(_mm256_fmadd_ps(_mm256_set1_ps(2 * l2), w, g), sign);
    return _mm256_fnmadd_ps(_mm256_set1_ps(lr), g, w);
  }
  // tanh(x) ≈ x·P(x²)/Q(x²) (tanh_minimax in W1Handwritten.h).
  static __m256 tanh8(__m256 a) {
    using namespace tanh_minimax;
    const __m256 x = _mm256_max_ps(_mm256_min_ps(a, _mm256_set1_ps(kClamp)), _mm256_set1_ps(-kClamp));
    const __m256 x2 = _mm256_mul_ps(x, x);
    auto horner = [&](const auto& c) {
      __m256 v = _mm256_set1_ps(c[0]);
      for (size_t i = 1; i < std::size(c); ++i) v = _mm256_fmadd_ps(v, x2, _mm256_set1_ps(c[i]));
      return v;
    };
    return _mm256_div_ps(_mm256_mul_ps(horner(kP), x), horner(kQ));
  }

  V X0, X1, W10, W11, B1, W2;
  __m128 T;
  float b2;
};
#else
class W1Avx2 {
 public:
  static constexpr bool kAvailable = false;
  W1Avx2(const float*, const float*, const W1Handwritten::Params&) {}
  W1Result step() { return {}; }
};
#endif

}  // namespace sigma::peers

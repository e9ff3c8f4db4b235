// W1 hand-written peer, the fastest form (after ../shared/peers/
// w1_handwritten.cpp's "whole step in zmm"): the same step and statistics
// as W1Handwritten.h, with the whole network in AVX-512 registers. Lane
// j·4 + n of a vector is hidden unit j on sample n (12 of 16 lanes), so the
// forward pass is two FMAs, one vector tanh and three 128-bit adds, each
// gradient a 4-lane group sum, and every parameter stays in a register from
// one step to the next. tanh is a rational minimax approximation (Eigen's
// coefficients, about 1e-6 from tanhf), evaluated in the vector.
// Only on an AVX-512 build (-march=native on an AVX-512 host); elsewhere
// kAvailable is false and the benchmark row is not registered.
#pragma once

#include "benchmarks/peers/W1Handwritten.h"

#if defined(__AVX512F__)
#include <immintrin.h>
// GCC 12 warns inside its own _mm512_min_ps / _mm512_max_ps (an
// "uninitialized" pass-through operand of the masked builtin): not ours.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace sigma::peers {

#if defined(__AVX512F__)
class W1Avx512 {
 public:
  static constexpr bool kAvailable = true;

  // The same initial weights as W1Handwritten (which draws them).
  W1Avx512(const float* x /*4×2*/, const float* t /*4*/, const W1Handwritten::Params& p) {
    alignas(64) float x0[16] = {}, x1[16] = {}, w10[16] = {}, w11[16] = {}, b1[16] = {}, w2[16] = {};
    for (int j = 0; j < 3; ++j)
      for (int n = 0; n < 4; ++n) {
        x0[j * 4 + n] = x[2 * n], x1[j * 4 + n] = x[2 * n + 1];
        w10[j * 4 + n] = p.W1[j][0], w11[j * 4 + n] = p.W1[j][1], b1[j * 4 + n] = p.b1[j], w2[j * 4 + n] = p.W2[j];
      }
    X0 = _mm512_load_ps(x0), X1 = _mm512_load_ps(x1);
    W10 = _mm512_load_ps(w10), W11 = _mm512_load_ps(w11), B1 = _mm512_load_ps(b1), W2 = _mm512_load_ps(w2);
    T = _mm_loadu_ps(t);
    b2 = p.b2;
  }

  W1Result step() {
    constexpr float lr = hp::w1_lr, l1 = hp::w1_l1, l2 = hp::w1_l2;
    const __m512 h = tanh16(_mm512_fmadd_ps(W10, X0, _mm512_fmadd_ps(W11, X1, B1)));
    // y[n] = b2 + Σ_j W2[j]·h[j·4 + n]: the three used 128-bit blocks added.
    const __m512 t = _mm512_mul_ps(W2, h);
    const __m128 y = _mm_add_ps(_mm_add_ps(_mm512_castps512_ps128(t), _mm512_extractf32x4_ps(t, 1)),
                                _mm_add_ps(_mm512_extractf32x4_ps(t, 2), _mm_set1_ps(b2)));
    const __m128 e = _mm_sub_ps(y, T);
    const float loss = 0.25f * sum4(_mm_mul_ps(e, e));
    const __m128 dy = _mm_mul_ps(e, _mm_set1_ps(2.0f / 4));
    const __m512 dyv = _mm512_broadcast_f32x4(dy);
    const __m512 gW2 = groupSum(_mm512_mul_ps(dyv, h));
    const __m512 dz = _mm512_mul_ps(_mm512_mul_ps(dyv, W2), _mm512_fnmadd_ps(h, h, _mm512_set1_ps(1)));
    const __m512 gB1 = groupSum(dz), gW10 = groupSum(_mm512_mul_ps(dz, X0)), gW11 = groupSum(_mm512_mul_ps(dz, X1));
    // Penalties on the pre-update weights (one lane per hidden unit), then SGD.
    constexpr __mmask16 unit = 0x0111;
    const __m512 absw = _mm512_add_ps(_mm512_add_ps(_mm512_abs_ps(W10), _mm512_abs_ps(W11)), _mm512_abs_ps(W2));
    const __m512 sqw = _mm512_fmadd_ps(W10, W10, _mm512_fmadd_ps(W11, W11, _mm512_mul_ps(W2, W2)));
    const float penalty = l1 * _mm512_mask_reduce_add_ps(unit, absw) + l2 * _mm512_mask_reduce_add_ps(unit, sqw);
    update(W10, gW10), update(W11, gW11), update(W2, gW2);
    B1 = _mm512_fnmadd_ps(_mm512_set1_ps(lr), gB1, B1);
    b2 -= lr * sum4(dy);
    const __m512 s = _mm512_add_ps(_mm512_add_ps(W10, W11), W2);
    const __m512 a = _mm512_add_ps(_mm512_add_ps(_mm512_abs_ps(W10), _mm512_abs_ps(W11)), _mm512_abs_ps(W2));
    const __m512 q = _mm512_fmadd_ps(W10, W10, _mm512_fmadd_ps(W11, W11, _mm512_mul_ps(W2, W2)));
    return {loss + penalty, _mm512_mask_reduce_add_ps(unit, s), _mm512_mask_reduce_add_ps(unit, a),
            _mm512_mask_reduce_add_ps(unit, q)};
  }

 private:
  static float sum4(__m128 v) {
    v = _mm_add_ps(v, _mm_movehl_ps(v, v));
    return _mm_cvtss_f32(_mm_add_ss(v, _mm_movehdup_ps(v)));
  }
  // Each 4-lane group's sum, in all four of its lanes.
  static __m512 groupSum(__m512 v) {
    v = _mm512_add_ps(v, _mm512_permute_ps(v, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm512_add_ps(v, _mm512_permute_ps(v, _MM_SHUFFLE(1, 0, 3, 2)));
  }
  static void update(__m512& w, __m512 g) {
    constexpr float lr = hp::w1_lr, l1 = hp::w1_l1, l2 = hp::w1_l2;
    // l1·sign(w), sign(0) = 0: ±l1 with w's sign bit, zero where w is 0.
    const __m512 sign = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(w, _mm512_setzero_ps(), _CMP_NEQ_OQ),
                                            _mm512_or_ps(_mm512_set1_ps(l1), _mm512_and_ps(w, _mm512_set1_ps(-0.0f))));
    g = _mm512_add_ps(_mm512_fmadd_ps(_mm512_set1_ps(2 * l2), w, g), sign);
    w = _mm512_fnmadd_ps(_mm512_set1_ps(lr), g, w);
  }
  // tanh(x) ≈ x·P(x²)/Q(x²) (tanh_minimax in W1Handwritten.h).
  static __m512 tanh16(__m512 a) {
    using namespace tanh_minimax;
    const __m512 x = _mm512_max_ps(_mm512_min_ps(a, _mm512_set1_ps(kClamp)), _mm512_set1_ps(-kClamp));
    const __m512 x2 = _mm512_mul_ps(x, x);
    auto horner = [&](const auto& c) {
      __m512 v = _mm512_set1_ps(c[0]);
      for (size_t i = 1; i < std::size(c); ++i) v = _mm512_fmadd_ps(v, x2, _mm512_set1_ps(c[i]));
      return v;
    };
    return _mm512_div_ps(_mm512_mul_ps(horner(kP), x), horner(kQ));
  }

  __m512 X0, X1, W10, W11, B1, W2;
  __m128 T;
  float b2;
};
#pragma GCC diagnostic pop
#else
class W1Avx512 {
 public:
  static constexpr bool kAvailable = false;
  W1Avx512(const float*, const float*, const W1Handwritten::Params&) {}
  W1Result step() { return {}; }
};
#endif

}  // namespace sigma::peers

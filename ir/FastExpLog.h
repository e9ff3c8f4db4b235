// Sigma's exp and log, defined once for the interpreter and the code
// generator (as ir/FastTanh.h defines tanh).
//
// expf and logf from the C library are scalar calls that no compiler
// vectorizes: a loop with one (softmax, cross-entropy, sigmoid) runs one
// element at a time. Sigma's versions are the Cephes single-precision
// algorithms, made of float multiplies and adds, floor, min/max, selects,
// one float-to-int conversion and bit operations on the float's
// representation: LLVM vectorizes all of them, and the interpreter performs
// the very same operations in the same order, so both give identical bits.
//
// exp(x): x = n·ln2 + r with n = floor(x·log2(e) + 1/2), ln2 in two parts
// (Cody-Waite), |r| ≤ ln2/2; e^r by Cephes' polynomial; then 2·e^r scaled
// by 2^(n-1), built from n's bits, so that n = 128 (x near the overflow
// threshold) and n = -125 both scale exactly. Above 88.7228 the result is
// +inf; below -86.9 (results under 2e-38, in and near the subnormal range)
// it is 0. A NaN comes out as it went in.
//
// log(x): x = m·2^e with m in [√½, √2) from the float's exponent and
// mantissa bits (subnormal x is first scaled by 2^23); log(m) = f - f²/2 +
// f³·P(f) with f = m - 1 and Cephes' degree-8 P; plus e·ln2 in two parts.
// log(0) = -inf, log(+inf) = +inf, log(x < 0) = NaN; a NaN comes out as it went in.
//
// Accuracy against double precision: tests/unit/FastExpLogTest.cpp (exp
// within 3e-7 relative over its range, log within 2e-7 relative, 1e-7
// absolute near 1; special values; JIT = interpreter bit for bit).
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

namespace sigma::fastexplog {

inline constexpr float kLog2e = 1.44269504088896341f;
inline constexpr float kLn2Hi = 0.693359375f, kLn2Lo = -2.12194440e-4f;  // ln2 = hi + lo

inline constexpr float kExpMax = 88.7228f;  // above: +inf
inline constexpr float kExpMin = -86.9f;    // below: 0
// e^r ≈ 1 + r + r²·(c0 r⁵ + ... + c5), highest first (Horner order).
inline constexpr float kExpPoly[] = {1.9875691500e-4f, 1.3981999507e-3f, 8.3334519073e-3f,
                                     4.1665795894e-2f, 1.6666665459e-1f, 5.0000001201e-1f};

inline constexpr float kSqrtHalfTimes2 = 1.41421356237f;  // m above √2 is halved
inline constexpr float kSmallestNormal = 1.17549435e-38f;
inline constexpr float kTwo23 = 8388608.0f;
// log(1 + f) ≈ f - f²/2 + f³·P(f), P highest first.
inline constexpr float kLogPoly[] = {7.0376836292e-2f,  -1.1514610310e-1f, 1.1676998740e-1f,
                                     -1.2420140846e-1f, 1.4249322787e-1f,  -1.6668057665e-1f,
                                     2.0000714765e-1f,  -2.4999993993e-1f, 3.3333331174e-1f};

// llvm.minimum / llvm.maximum, as the code generator emits them: NaN propagates.
inline float minimum(float a, float b) { return std::isnan(a) || std::isnan(b) ? std::numeric_limits<float>::quiet_NaN() : (a < b ? a : b); }
inline float maximum(float a, float b) { return std::isnan(a) || std::isnan(b) ? std::numeric_limits<float>::quiet_NaN() : (a > b ? a : b); }
// llvm.fptosi.sat: NaN to 0 (n is never out of int range here).
inline int32_t toInt(float x) { return std::isnan(x) ? 0 : int32_t(x); }

// The reference: the exact sequence of float operations the code generator emits.
inline float exp(float a) {
  const float x = maximum(minimum(a, kExpMax), kExpMin);
  const float n = std::floor(x * kLog2e + 0.5f);
  float r = x - n * kLn2Hi;
  r = r - n * kLn2Lo;
  float p = kExpPoly[0];
  for (int i = 1; i < 6; ++i) p = p * r + kExpPoly[i];
  const float y = p * (r * r) + r + 1.0f;
  // (y·2)·2^(n-1): y·2 is in [1.4, 2.9), so the product is a normal float
  // (or overflows to inf) and exact for every n in [-125, 128].
  const float half = std::bit_cast<float>(uint32_t(toInt(n) + 126) << 23);
  const float e = (y * 2.0f) * half;
  // NaN: the input itself (which NaN arithmetic returns is up to the CPU).
  return std::isnan(a) ? a : a > kExpMax ? std::numeric_limits<float>::infinity() : (a < kExpMin ? 0.0f : e);
}

inline float log(float a) {
  const bool subnormal = a < kSmallestNormal;
  const float scaled = subnormal ? a * kTwo23 : a;
  const uint32_t bits = std::bit_cast<uint32_t>(scaled);
  const int32_t exponent = int32_t(bits >> 23) - (subnormal ? 127 + 23 : 127);
  float m = std::bit_cast<float>((bits & 0x007fffffu) | 0x3f800000u);  // [1, 2)
  const bool big = m > kSqrtHalfTimes2;
  m = big ? m * 0.5f : m;
  const float fe = float(big ? exponent + 1 : exponent);
  const float f = m - 1.0f;
  const float z = f * f;
  float p = kLogPoly[0];
  for (int i = 1; i < 9; ++i) p = p * f + kLogPoly[i];
  float y = p * f * z;
  y = y + fe * kLn2Lo;
  y = y - 0.5f * z;
  float r = f + y;
  r = r + fe * kLn2Hi;
  const float inf = std::numeric_limits<float>::infinity();
  return std::isnan(a) ? a
         : a < 0.0f    ? std::numeric_limits<float>::quiet_NaN()
         : a == 0.0f   ? -inf
         : a == inf    ? inf
                       : r;
}

}  // namespace sigma::fastexplog

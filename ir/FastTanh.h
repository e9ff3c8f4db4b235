// Sigma's tanh, defined once for the interpreter and the code generator.
//
// tanhf from the C library is a scalar call that no compiler vectorizes; a
// training step calls it for every hidden activation. Sigma's tanh is the
// rational minimax approximation Eigen uses (odd degree-13 numerator over
// even degree-6 denominator in x²), on x clamped to ±7.9053 (beyond which
// tanh rounds to ±1 within the approximation's error), with tanh(x) = x for
// |x| < 0.0004. It is made of multiplies, adds, one divide, min/max and a
// select: LLVM vectorizes it, and the interpreter performs the very same
// float operations in the same order, so both give identical bits.
// Accuracy against double-precision tanh: see tests/unit/FastTanhTest.cpp
// (max abs error below 1e-6 over [-20, 20]; NaN in, NaN out; odd symmetry).
#pragma once

#include <cmath>

namespace sigma::fasttanh {

inline constexpr float kClamp = 7.90531110763549805f;
inline constexpr float kTiny = 0.0004f;
// Numerator coefficients of x, x³, ... x¹³, highest first (Horner order).
inline constexpr float kAlpha[] = {-2.76076847742355e-16f, 2.00018790482477e-13f, -8.60467152213735e-11f,
                                   5.12229709037114e-08f,  1.48572235717979e-05f, 6.37261928875436e-04f,
                                   4.89352455891786e-03f};
// Denominator coefficients of 1, x², x⁴, x⁶, highest first.
inline constexpr float kBeta[] = {1.19825839466702e-06f, 1.18534705686654e-04f, 2.26843463243900e-03f,
                                  4.89352518554385e-03f};

// The reference: the exact sequence of float operations the code generator emits.
inline float tanh(float a) {
  // min/max as llvm.minimum/maximum: NaN propagates.
  float x = std::isnan(a) ? a : (a > kClamp ? kClamp : (a < -kClamp ? -kClamp : a));
  float x2 = x * x;
  float p = kAlpha[0];
  for (int i = 1; i < 7; ++i) p = p * x2 + kAlpha[i];
  p = p * x;
  float q = kBeta[0];
  for (int i = 1; i < 4; ++i) q = q * x2 + kBeta[i];
  float r = p / q;
  return std::fabs(a) < kTiny ? a : r;
}

}  // namespace sigma::fasttanh

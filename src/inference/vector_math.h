#pragma once

#include <bit>
#include <cstdint>

// Branch-free float32 functions that GCC vectorises inside loops (no libm
// calls, no -ffast-math needed). Accuracy is stated per function; every one is
// far tighter than the float32 rounding of the surrounding GEMMs.
namespace msearch::inference::vector_math {

// e^x with a relative error below 1e-7, for x in [-87.3, 88.3]; inputs
// outside are clamped, so the result never is 0, a subnormal or infinity.
// Cephes' expf: range reduction by ln 2 in two parts, degree-6 polynomial.
inline float Exp(float x) {
  x = x < -87.3f ? -87.3f : x;
  x = x > 88.3f ? 88.3f : x;
  // Rounds x / ln 2 to the nearest integer by adding and removing 1.5 * 2^23.
  constexpr float kRoundingShift = 12582912.0f;
  float n = (x * 1.44269504088896341f + kRoundingShift) - kRoundingShift;
  float r = x - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  float y = p * (r * r) + r + 1.0f;
  int32_t exponent = static_cast<int32_t>(n);
  return y * std::bit_cast<float>(static_cast<uint32_t>(exponent + 127) << 23);
}

// erf(x) with an absolute error below 5e-7: a rational approximation on
// [-4, 4] (beyond it erf is 1 to float precision), the one Eigen uses.
inline float Erf(float x) {
  x = x < -4.0f ? -4.0f : x;
  x = x > 4.0f ? 4.0f : x;
  float x2 = x * x;
  float p = -2.72614225801306e-10f;
  p = p * x2 + 2.77068142495902e-08f;
  p = p * x2 + -2.10102402082508e-06f;
  p = p * x2 + -5.69250639462346e-05f;
  p = p * x2 + -7.34990630326855e-04f;
  p = p * x2 + -2.95459980854025e-03f;
  p = p * x2 + -1.60960333262415e-02f;
  p = p * x;
  float q = -1.45660718464996e-05f;
  q = q * x2 + -2.13374055278905e-04f;
  q = q * x2 + -1.68282697438203e-03f;
  q = q * x2 + -7.37332916720468e-03f;
  q = q * x2 + -1.42647390514189e-02f;
  return p / q;
}

// tanh(x) = 1 - 2 / (1 + e^(2x)), exact to a few ulp away from 0 and within
// 1e-7 absolute near 0.
inline float Tanh(float x) { return 1.0f - 2.0f / (1.0f + Exp(2.0f * x)); }

}  // namespace msearch::inference::vector_math

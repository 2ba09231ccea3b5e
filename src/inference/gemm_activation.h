#pragma once

#include <cstdint>

#include "inference/activation.h"

// The activations of kernels.cc on whole vectors, for the epilogue of the
// GEMM micro-kernels, written with GCC vector extensions so that each kernel
// file gets them at its own vector width. Include this header only from a
// gemm_kernel_*.cc file, after its target pragma: everything here has
// internal linkage, so each file's copy is compiled for its instruction set
// and no other file can end up calling it.
//
// The polynomials and the order of operations are those of vector_math.h
// and kernels.cc. GCC may contract a * b + c into an FMA differently in the
// two places (its default for C++ is -ffp-contract=fast), so results can
// differ from the OpenBLAS path's bias-and-activation pass in the last bit.
namespace msearch::inference::gemm {
namespace {

template <typename Vector>
inline Vector Broadcast(float value) {
  return Vector{} + value;
}

template <typename Vector>
inline Vector Clamp(Vector x, float low, float high) {
  x = x < low ? Broadcast<Vector>(low) : x;
  return x > high ? Broadcast<Vector>(high) : x;
}

// vector_math::Exp on each lane.
template <typename Vector, typename IntVector>
inline Vector ExpVector(Vector x) {
  x = Clamp(x, -87.3f, 88.3f);
  constexpr float kRoundingShift = 12582912.0f;
  const Vector n = (x * 1.44269504088896341f + kRoundingShift) - kRoundingShift;
  Vector r = x - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  Vector p = Broadcast<Vector>(1.9875691500e-4f);
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const Vector y = p * (r * r) + r + 1.0f;
  const IntVector exponent = __builtin_convertvector(n, IntVector);
  return y * __builtin_bit_cast(Vector, (exponent + 127) << 23);
}

// vector_math::Erf on each lane.
template <typename Vector>
inline Vector ErfVector(Vector x) {
  x = Clamp(x, -4.0f, 4.0f);
  const Vector x2 = x * x;
  Vector p = Broadcast<Vector>(-2.72614225801306e-10f);
  p = p * x2 + 2.77068142495902e-08f;
  p = p * x2 + -2.10102402082508e-06f;
  p = p * x2 + -5.69250639462346e-05f;
  p = p * x2 + -7.34990630326855e-04f;
  p = p * x2 + -2.95459980854025e-03f;
  p = p * x2 + -1.60960333262415e-02f;
  p = p * x;
  Vector q = Broadcast<Vector>(-1.45660718464996e-05f);
  q = q * x2 + -2.13374055278905e-04f;
  q = q * x2 + -1.68282697438203e-03f;
  q = q * x2 + -7.37332916720468e-03f;
  q = q * x2 + -1.42647390514189e-02f;
  return p / q;
}

// The activation of kernels.cc's BiasActivation on each lane.
template <typename Vector, typename IntVector>
inline Vector Activate(Vector x, Activation activation) {
  constexpr float kSqrtHalf = 0.70710678118654752f;
  constexpr float kSqrtTwoOverPi = 0.79788456080286536f;
  switch (activation) {
    case Activation::kQuickGelu:
      return x / (1.0f + ExpVector<Vector, IntVector>(-1.702f * x));
    case Activation::kGelu:
      return 0.5f * x * (1.0f + ErfVector(x * kSqrtHalf));
    case Activation::kGeluTanh: {
      const Vector inner = kSqrtTwoOverPi * (x + 0.044715f * x * x * x);
      const Vector tanh = 1.0f - 2.0f / (1.0f + ExpVector<Vector, IntVector>(2.0f * inner));
      return 0.5f * x * (1.0f + tanh);
    }
    case Activation::kRelu:
      return x > 0.0f ? x : Vector{};
  }
  return x;
}

}  // namespace
}  // namespace msearch::inference::gemm

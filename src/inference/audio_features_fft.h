#pragma once

#include <complex>
#include <vector>

namespace msearch::inference {

// A double-precision FFT of real input, for spectrograms that must match a
// NumPy float64 reference closely. Radix-2: the size must be a power of two.
// Const methods are thread-safe.
class RealFft {
 public:
  // Precomputes twiddle factors. Throws ModelError unless `size` is a power
  // of two from 4 to 2^20.
  explicit RealFft(int size);

  int size() const { return size_; }

  // Writes bins 0..size/2 of the unnormalised DFT of input[0, size) to
  // `spectrum` (size / 2 + 1 values). `scratch` must hold size / 2 values.
  void Forward(const double* input, std::complex<double>* spectrum,
               std::complex<double>* scratch) const;

 private:
  void TransformHalf(std::complex<double>* data) const;

  int size_;
  int half_;
  std::vector<int> bit_reverse_;                 // permutation of the half-size FFT
  std::vector<std::complex<double>> twiddles_;   // exp(-2 pi i k / half), k < half / 2
  std::vector<std::complex<double>> unpacking_;  // exp(-2 pi i k / size), k <= half
};

}  // namespace msearch::inference

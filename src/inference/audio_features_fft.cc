#include "inference/audio_features_fft.h"

#include <cmath>
#include <numbers>

#include <fmt/format.h>

#include "inference/model_error.h"

namespace msearch::inference {

RealFft::RealFft(int size) : size_(size), half_(size / 2) {
  if (size < 4 || size > (1 << 20) || (size & (size - 1)) != 0) {
    throw ModelError(
        fmt::format("FFT size {} is not supported: expected a power of two from 4 "
                    "to 1048576 (check fft_window_size)",
                    size));
  }
  int bits = 0;
  while ((1 << bits) < half_) ++bits;
  bit_reverse_.resize(half_);
  for (int i = 0; i < half_; ++i) {
    int reversed = 0;
    for (int bit = 0; bit < bits; ++bit) reversed |= ((i >> bit) & 1) << (bits - 1 - bit);
    bit_reverse_[i] = reversed;
  }
  twiddles_.resize(std::max(1, half_ / 2));
  for (int k = 0; k < half_ / 2; ++k) {
    const double angle = -2.0 * std::numbers::pi * k / half_;
    twiddles_[k] = {std::cos(angle), std::sin(angle)};
  }
  unpacking_.resize(half_ + 1);
  for (int k = 0; k <= half_; ++k) {
    const double angle = -2.0 * std::numbers::pi * k / size_;
    unpacking_[k] = {std::cos(angle), std::sin(angle)};
  }
}

void RealFft::TransformHalf(std::complex<double>* data) const {
  for (int i = 0; i < half_; ++i) {
    if (i < bit_reverse_[i]) std::swap(data[i], data[bit_reverse_[i]]);
  }
  for (int length = 2; length <= half_; length <<= 1) {
    const int step = half_ / length;
    const int middle = length / 2;
    for (int begin = 0; begin < half_; begin += length) {
      for (int k = 0; k < middle; ++k) {
        const std::complex<double> odd = data[begin + k + middle] * twiddles_[k * step];
        const std::complex<double> even = data[begin + k];
        data[begin + k] = even + odd;
        data[begin + k + middle] = even - odd;
      }
    }
  }
}

void RealFft::Forward(const double* input, std::complex<double>* spectrum,
                      std::complex<double>* scratch) const {
  // Even samples as real parts and odd samples as imaginary parts: one
  // half-size complex FFT, then the two interleaved spectra are separated.
  for (int n = 0; n < half_; ++n) scratch[n] = {input[2 * n], input[2 * n + 1]};
  TransformHalf(scratch);
  for (int k = 0; k <= half_; ++k) {
    const std::complex<double> z = scratch[k == half_ ? 0 : k];
    const std::complex<double> mirror = std::conj(scratch[k == 0 ? 0 : half_ - k]);
    const std::complex<double> even = 0.5 * (z + mirror);
    const std::complex<double> odd = std::complex<double>(0.0, -0.5) * (z - mirror);
    spectrum[k] = even + unpacking_[k] * odd;
  }
}

}  // namespace msearch::inference

#include "preprocess/pillow_resample.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

#include <fmt/format.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "preprocess/preprocess_error.h"

// The coefficient arithmetic below must round exactly like Pillow's C code,
// so this file is compiled with -ffp-contract=off (see CMakeLists.txt): a
// fused multiply-add would change the last bit of some weights.

namespace msearch::preprocess {
namespace {

// Pillow keeps weights as integers scaled by 2^22, which leaves room for
// 8-bit pixel sums without overflowing 32 bits.
constexpr int kPrecisionBits = 32 - 8 - 2;

struct Filter {
  double (*weight)(double);
  double support;
};

double BoxWeight(double x) { return (x > -0.5 && x <= 0.5) ? 1.0 : 0.0; }

double BilinearWeight(double x) {
  if (x < 0.0) x = -x;
  return x < 1.0 ? 1.0 - x : 0.0;
}

double HammingWeight(double x) {
  if (x < 0.0) x = -x;
  if (x == 0.0) return 1.0;
  if (x >= 1.0) return 0.0;
  x = x * std::numbers::pi;
  return std::sin(x) / x * (0.54 + 0.46 * std::cos(x));
}

// Keys' cubic convolution with a = -0.5, written in Pillow's operation order.
double BicubicWeight(double x) {
  constexpr double a = -0.5;
  if (x < 0.0) x = -x;
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

double Sinc(double x) {
  if (x == 0.0) return 1.0;
  x = x * std::numbers::pi;
  return std::sin(x) / x;
}

double LanczosWeight(double x) { return (-3.0 <= x && x < 3.0) ? Sinc(x) * Sinc(x / 3) : 0.0; }

Filter FilterFor(ResampleFilter filter) {
  switch (filter) {
    case ResampleFilter::kBox:
      return {BoxWeight, 0.5};
    case ResampleFilter::kBilinear:
      return {BilinearWeight, 1.0};
    case ResampleFilter::kHamming:
      return {HammingWeight, 1.0};
    case ResampleFilter::kBicubic:
      return {BicubicWeight, 2.0};
    case ResampleFilter::kLanczos:
      return {LanczosWeight, 3.0};
  }
  throw PreprocessError(fmt::format("unknown resampling filter {}", static_cast<int>(filter)));
}

// Fixed-point weights of a one-dimensional resampling from in_size to
// out_size samples: output i reads inputs first[i] .. first[i] + count[i] - 1
// with weights[i * taps ...].
struct Kernel {
  int taps = 0;
  std::vector<int> first;
  std::vector<int> count;
  std::vector<int32_t> weights;
};

Kernel ComputeKernel(int in_size, int out_size, const Filter& filter) {
  // Pillow takes the box edges as floats (here 0 and in_size).
  const float in0 = 0.0F;
  const auto in1 = static_cast<float>(in_size);
  const double scale = static_cast<double>(in1 - in0) / out_size;
  const double filter_scale = std::max(scale, 1.0);
  const double support = filter.support * filter_scale;

  Kernel kernel;
  kernel.taps = static_cast<int>(std::ceil(support)) * 2 + 1;
  kernel.first.resize(static_cast<size_t>(out_size));
  kernel.count.resize(static_cast<size_t>(out_size));
  kernel.weights.assign(static_cast<size_t>(out_size) * static_cast<size_t>(kernel.taps), 0);

  std::vector<double> weights(static_cast<size_t>(kernel.taps));
  for (int out = 0; out < out_size; ++out) {
    const double center = in0 + (out + 0.5) * scale;
    const double inverse_scale = 1.0 / filter_scale;
    // (int) truncates toward zero, as in Pillow.
    int first = static_cast<int>(center - support + 0.5);
    first = std::max(first, 0);
    int last = static_cast<int>(center + support + 0.5);
    last = std::min(last, in_size);
    const int count = last - first;

    double total = 0.0;
    for (int i = 0; i < count; ++i) {
      double w = filter.weight((i + first - center + 0.5) * inverse_scale);
      weights[static_cast<size_t>(i)] = w;
      total += w;
    }
    int32_t* fixed = &kernel.weights[static_cast<size_t>(out) * static_cast<size_t>(kernel.taps)];
    for (int i = 0; i < count; ++i) {
      double w = weights[static_cast<size_t>(i)];
      if (total != 0.0) w /= total;
      const double scaled = w * (1 << kPrecisionBits);
      fixed[i] = static_cast<int32_t>(w < 0 ? -0.5 + scaled : 0.5 + scaled);
    }
    kernel.first[static_cast<size_t>(out)] = first;
    kernel.count[static_cast<size_t>(out)] = count;
  }
  return kernel;
}

inline uint8_t ClipToByte(int32_t sum) {
  int32_t value = sum >> kPrecisionBits;  // arithmetic shift: floor
  return static_cast<uint8_t>(std::clamp(value, 0, 255));
}

constexpr int32_t kRoundingHalf = 1 << (kPrecisionBits - 1);

// Splits a weight w into w = high * 2^11 + low with both parts in int16
// range (low in [0, 2048)), so SSE2's 16-bit multiply-add (pmaddwd) can
// form the exact 32-bit sums Pillow forms with 32-bit multiplies.
constexpr int kSplitBits = 11;

// Weights of the horizontal pass in split form, each output's row padded
// with zeros to a multiple of 8 taps.
struct SplitKernel {
  int taps = 0;  // multiple of 8
  std::vector<int16_t> high;
  std::vector<int16_t> low;
};

SplitKernel SplitWeights(const Kernel& kernel) {
  SplitKernel split;
  split.taps = (kernel.taps + 7) / 8 * 8;
  const size_t outputs = kernel.first.size();
  split.high.assign(outputs * static_cast<size_t>(split.taps), 0);
  split.low.assign(outputs * static_cast<size_t>(split.taps), 0);
  for (size_t out = 0; out < outputs; ++out) {
    for (int i = 0; i < kernel.count[out]; ++i) {
      const int32_t w = kernel.weights[out * static_cast<size_t>(kernel.taps) + i];
      split.high[out * static_cast<size_t>(split.taps) + i] = static_cast<int16_t>(w >> kSplitBits);
      split.low[out * static_cast<size_t>(split.taps) + i] =
          static_cast<int16_t>(w & ((1 << kSplitBits) - 1));
    }
  }
  return split;
}

// Returns the rounded weighted sum of `count` samples of one channel plane
// (`samples` may be read up to the next multiple of 8; the padding weights
// are zero).
inline int32_t WeightedSum(const uint8_t* samples, const int16_t* high, const int16_t* low,
                           int count) {
#if defined(__SSE2__)
  const __m128i zero = _mm_setzero_si128();
  __m128i sum_high = zero;
  __m128i sum_low = zero;
  for (int i = 0; i < count; i += 8) {
    const __m128i pixels =
        _mm_unpacklo_epi8(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(samples + i)), zero);
    sum_high = _mm_add_epi32(
        sum_high,
        _mm_madd_epi16(pixels, _mm_loadu_si128(reinterpret_cast<const __m128i*>(high + i))));
    sum_low = _mm_add_epi32(
        sum_low,
        _mm_madd_epi16(pixels, _mm_loadu_si128(reinterpret_cast<const __m128i*>(low + i))));
  }
  const __m128i total = _mm_add_epi32(_mm_slli_epi32(sum_high, kSplitBits), sum_low);
  const __m128i pairs = _mm_add_epi32(total, _mm_shuffle_epi32(total, _MM_SHUFFLE(1, 0, 3, 2)));
  const __m128i all = _mm_add_epi32(pairs, _mm_shuffle_epi32(pairs, _MM_SHUFFLE(2, 3, 0, 1)));
  return kRoundingHalf + _mm_cvtsi128_si32(all);
#else
  int32_t sum = kRoundingHalf;
  for (int i = 0; i < count; ++i) {
    sum += samples[i] * ((static_cast<int32_t>(high[i]) << kSplitBits) + low[i]);
  }
  return sum;
#endif
}

// Horizontal pass over rows [row_begin, row_end) of `in` into `out`, which
// has row_end - row_begin rows of out_width pixels. Each source row is split
// into one plane per channel first, so the samples of a tap run are
// contiguous.
void ResampleRows(const RgbImage& in, int row_begin, int row_end, int out_width,
                  const Kernel& kernel, std::vector<uint8_t>& out) {
  const SplitKernel split = SplitWeights(kernel);
  const size_t out_row_bytes = static_cast<size_t>(out_width) * 3;
  out.resize(static_cast<size_t>(row_end - row_begin) * out_row_bytes);
  // Room for reading up to 7 samples past the last one of a plane.
  const size_t plane_stride = static_cast<size_t>(in.width) + 8;
  std::vector<uint8_t> planes(plane_stride * 3, 0);
  for (int y = row_begin; y < row_end; ++y) {
    const uint8_t* in_row = in.pixels.data() + static_cast<size_t>(y) * in.row_bytes();
    for (int x = 0; x < in.width; ++x) {
      planes[static_cast<size_t>(x)] = in_row[x * 3];
      planes[plane_stride + static_cast<size_t>(x)] = in_row[x * 3 + 1];
      planes[2 * plane_stride + static_cast<size_t>(x)] = in_row[x * 3 + 2];
    }
    uint8_t* out_row = out.data() + static_cast<size_t>(y - row_begin) * out_row_bytes;
    for (int x = 0; x < out_width; ++x) {
      const size_t offset = static_cast<size_t>(x) * static_cast<size_t>(split.taps);
      const int16_t* high = &split.high[offset];
      const int16_t* low = &split.low[offset];
      const auto first = static_cast<size_t>(kernel.first[static_cast<size_t>(x)]);
      const int count = kernel.count[static_cast<size_t>(x)];
      for (size_t c = 0; c < 3; ++c) {
        out_row[x * 3 + static_cast<int>(c)] =
            ClipToByte(WeightedSum(&planes[c * plane_stride + first], high, low, count));
      }
    }
  }
}

// Adds w * row[j] to sums[j] for two rows at once: sums[j] += w0 * row0[j]
// + w1 * row1[j], exact in 32 bits (see kSplitBits).
void AccumulateRowPair(const uint8_t* row0, const uint8_t* row1, int32_t w0, int32_t w1,
                       size_t length, int32_t* sums) {
  size_t j = 0;
#if defined(__SSE2__)
  auto pair = [](int32_t first, int32_t second) {
    return _mm_set1_epi32(
        static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint16_t>(first)) |
                             (static_cast<uint32_t>(static_cast<uint16_t>(second)) << 16)));
  };
  const __m128i high = pair(w0 >> kSplitBits, w1 >> kSplitBits);
  const __m128i low = pair(w0 & ((1 << kSplitBits) - 1), w1 & ((1 << kSplitBits) - 1));
  const __m128i zero = _mm_setzero_si128();
  for (; j + 8 <= length; j += 8) {
    const __m128i a =
        _mm_unpacklo_epi8(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(row0 + j)), zero);
    const __m128i b =
        _mm_unpacklo_epi8(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(row1 + j)), zero);
    const __m128i first_half = _mm_unpacklo_epi16(a, b);
    const __m128i second_half = _mm_unpackhi_epi16(a, b);
    __m128i* out = reinterpret_cast<__m128i*>(sums + j);
    const __m128i add0 = _mm_add_epi32(_mm_slli_epi32(_mm_madd_epi16(first_half, high), kSplitBits),
                                       _mm_madd_epi16(first_half, low));
    const __m128i add1 =
        _mm_add_epi32(_mm_slli_epi32(_mm_madd_epi16(second_half, high), kSplitBits),
                      _mm_madd_epi16(second_half, low));
    _mm_storeu_si128(out, _mm_add_epi32(_mm_loadu_si128(out), add0));
    _mm_storeu_si128(out + 1, _mm_add_epi32(_mm_loadu_si128(out + 1), add1));
  }
#endif
  for (; j < length; ++j) sums[j] += row0[j] * w0 + row1[j] * w1;
}

// Vertical pass. Row 0 of `in` is source row `row_offset`.
void ResampleColumns(const uint8_t* in, size_t row_bytes, int row_offset, int out_height,
                     const Kernel& kernel, uint8_t* out) {
  std::vector<int32_t> sums(row_bytes);
  for (int y = 0; y < out_height; ++y) {
    std::fill(sums.begin(), sums.end(), kRoundingHalf);
    const int32_t* weights =
        &kernel.weights[static_cast<size_t>(y) * static_cast<size_t>(kernel.taps)];
    const int first = kernel.first[static_cast<size_t>(y)] - row_offset;
    const int count = kernel.count[static_cast<size_t>(y)];
    for (int i = 0; i < count; i += 2) {
      const uint8_t* row0 = in + static_cast<size_t>(first + i) * row_bytes;
      // An odd last tap pairs with itself at weight 0.
      const bool has_second = i + 1 < count;
      const uint8_t* row1 = has_second ? row0 + row_bytes : row0;
      AccumulateRowPair(row0, row1, weights[i], has_second ? weights[i + 1] : 0, row_bytes,
                        sums.data());
    }
    uint8_t* out_row = out + static_cast<size_t>(y) * row_bytes;
    for (size_t j = 0; j < row_bytes; ++j) out_row[j] = ClipToByte(sums[j]);
  }
}

}  // namespace

RgbImage ResizeRgb(const RgbImage& image, int width, int height, ResampleFilter filter) {
  if (width <= 0 || height <= 0) {
    throw PreprocessError(
        fmt::format("cannot resize to {}x{}: both sides must be positive", width, height));
  }
  if (image.width <= 0 || image.height <= 0 ||
      image.pixels.size() != static_cast<size_t>(image.width) * image.height * 3) {
    throw PreprocessError(fmt::format("cannot resize an empty or inconsistent {}x{} image",
                                      image.width, image.height));
  }
  const Filter spec = FilterFor(filter);
  if (width == image.width && height == image.height) return image;

  RgbImage out;
  out.width = width;
  out.height = height;
  out.pixels.resize(static_cast<size_t>(width) * height * 3);

  const Kernel vertical = ComputeKernel(image.height, height, spec);
  if (width == image.width) {
    ResampleColumns(image.pixels.data(), image.row_bytes(), 0, height, vertical, out.pixels.data());
    return out;
  }

  // Only the source rows the vertical pass reads go through the
  // horizontal pass.
  const Kernel horizontal = ComputeKernel(image.width, width, spec);
  const int row_begin = vertical.first.front();
  const int row_end = vertical.first.back() + vertical.count.back();
  std::vector<uint8_t> rows;
  if (height == image.height) {
    ResampleRows(image, 0, image.height, width, horizontal, out.pixels);
    return out;
  }
  ResampleRows(image, row_begin, row_end, width, horizontal, rows);
  ResampleColumns(rows.data(), out.row_bytes(), row_begin, height, vertical, out.pixels.data());
  return out;
}

}  // namespace msearch::preprocess

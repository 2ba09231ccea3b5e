#include "search/code_scores.h"

#include <atomic>

#include <immintrin.h>

namespace msearch::search {
namespace {

using Kernel = void (*)(const uint8_t*, size_t, size_t, const int8_t*, int32_t*);

void PortableScoreCodes(const uint8_t* codes, size_t rows, size_t stride, const int8_t* query,
                        int32_t* out) {
  for (size_t row = 0; row < rows; ++row) {
    const uint8_t* code = codes + row * stride;
    int32_t sum = 0;
    for (size_t i = 0; i < stride; ++i) sum += int32_t{code[i]} * int32_t{query[i]};
    out[row] = sum;
  }
}

// AVX2 has no unsigned-by-signed byte product without saturation, so both
// sides are widened to 16 bits and multiplied pairwise into 32-bit sums.
__attribute__((target("avx2"))) void Avx2ScoreCodes(const uint8_t* codes, size_t rows,
                                                    size_t stride, const int8_t* query,
                                                    int32_t* out) {
  for (size_t row = 0; row < rows; ++row) {
    const uint8_t* code = codes + row * stride;
    __m256i sum0 = _mm256_setzero_si256();
    __m256i sum1 = _mm256_setzero_si256();
    for (size_t i = 0; i < stride; i += 32) {
      __m256i c0 =
          _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(code + i)));
      __m256i c1 =
          _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(code + i + 16)));
      __m256i q0 =
          _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(query + i)));
      __m256i q1 =
          _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(query + i + 16)));
      sum0 = _mm256_add_epi32(sum0, _mm256_madd_epi16(c0, q0));
      sum1 = _mm256_add_epi32(sum1, _mm256_madd_epi16(c1, q1));
    }
    __m256i sum = _mm256_add_epi32(sum0, sum1);
    __m128i half = _mm_add_epi32(_mm256_castsi256_si128(sum), _mm256_extracti128_si256(sum, 1));
    half = _mm_add_epi32(half, _mm_shuffle_epi32(half, _MM_SHUFFLE(1, 0, 3, 2)));
    half = _mm_add_epi32(half, _mm_shuffle_epi32(half, _MM_SHUFFLE(2, 3, 0, 1)));
    out[row] = _mm_cvtsi128_si32(half);
  }
}

// _mm512_reduce_add_epi32 and _mm512_castsi512_si256 trip a false
// -Wmaybe-uninitialized in GCC 12 (their unmasked extract starts from an
// undefined value), so the halves are extracted with a zeroing mask.
__attribute__((target("avx512f"))) int32_t SumLanes(__m512i sum) {
  __m256i half = _mm256_add_epi32(_mm512_maskz_extracti64x4_epi64(0xff, sum, 0),
                                  _mm512_maskz_extracti64x4_epi64(0xff, sum, 1));
  __m128i quarter = _mm_add_epi32(_mm256_castsi256_si128(half), _mm256_extracti128_si256(half, 1));
  quarter = _mm_add_epi32(quarter, _mm_shuffle_epi32(quarter, _MM_SHUFFLE(1, 0, 3, 2)));
  quarter = _mm_add_epi32(quarter, _mm_shuffle_epi32(quarter, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm_cvtsi128_si32(quarter);
}

// VPDPBUSD multiplies unsigned by signed bytes and adds groups of four into
// 32-bit lanes without saturation, which is exactly the sum wanted. The
// scan reads every code once and runs at memory bandwidth. (Scoring two
// rows at a time, to have two chains of additions in flight, measured
// twice as slow: the loads, not the additions, set the pace.)
__attribute__((target("avx512f,avx512bw,avx512vnni"))) void VnniScoreCodes(
    const uint8_t* codes, size_t rows, size_t stride, const int8_t* query, int32_t* out) {
  for (size_t row = 0; row < rows; ++row) {
    const uint8_t* code = codes + row * stride;
    __m512i sum = _mm512_setzero_si512();
    for (size_t i = 0; i < stride; i += 64) {
      sum = _mm512_dpbusd_epi32(sum, _mm512_loadu_si512(code + i), _mm512_loadu_si512(query + i));
    }
    out[row] = SumLanes(sum);
  }
}

Kernel SelectKernel() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vnni")) {
    return VnniScoreCodes;
  }
  if (__builtin_cpu_supports("avx2")) return Avx2ScoreCodes;
  return PortableScoreCodes;
}

void ResolveAndCall(const uint8_t* codes, size_t rows, size_t stride, const int8_t* query,
                    int32_t* out);

// Starts as ResolveAndCall so that the first call picks the kernel, and
// later calls go straight to it.
constinit std::atomic<Kernel> g_kernel{ResolveAndCall};

void ResolveAndCall(const uint8_t* codes, size_t rows, size_t stride, const int8_t* query,
                    int32_t* out) {
  Kernel kernel = SelectKernel();
  g_kernel.store(kernel, std::memory_order_relaxed);
  kernel(codes, rows, stride, query, out);
}

}  // namespace

void ScoreCodes(const uint8_t* codes, size_t rows, size_t stride, const int8_t* query,
                int32_t* out) {
  g_kernel.load(std::memory_order_relaxed)(codes, rows, stride, query, out);
}

std::string_view CodeScoreKernel() {
  Kernel kernel = SelectKernel();
  if (kernel == VnniScoreCodes) return "avx512-vnni";
  if (kernel == Avx2ScoreCodes) return "avx2";
  return "portable";
}

std::vector<CodeScoreImplementation> SupportedCodeScoreKernels() {
  __builtin_cpu_init();
  std::vector<CodeScoreImplementation> kernels = {{"portable", PortableScoreCodes}};
  if (__builtin_cpu_supports("avx2")) kernels.push_back({"avx2", Avx2ScoreCodes});
  if (SelectKernel() == VnniScoreCodes) kernels.push_back({"avx512-vnni", VnniScoreCodes});
  return kernels;
}

}  // namespace msearch::search

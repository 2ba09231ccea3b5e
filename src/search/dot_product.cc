#include "search/dot_product.h"

#include <atomic>
#include <cmath>

#include <immintrin.h>

namespace msearch::search {
namespace {

using Kernel = float (*)(const float*, const float*, size_t);

float PortableInnerProduct(const float* a, const float* b, size_t dimension) {
  // Four partial sums let the compiler keep several multiply-adds in flight.
  float sum[4] = {0, 0, 0, 0};
  size_t i = 0;
  for (; i + 4 <= dimension; i += 4) {
    sum[0] += a[i] * b[i];
    sum[1] += a[i + 1] * b[i + 1];
    sum[2] += a[i + 2] * b[i + 2];
    sum[3] += a[i + 3] * b[i + 3];
  }
  for (; i < dimension; ++i) sum[0] += a[i] * b[i];
  return (sum[0] + sum[1]) + (sum[2] + sum[3]);
}

__attribute__((target("avx2,fma"))) float Avx2InnerProduct(const float* a, const float* b,
                                                           size_t dimension) {
  __m256 sum0 = _mm256_setzero_ps();
  __m256 sum1 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 16 <= dimension; i += 16) {
    sum0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), sum0);
    sum1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), sum1);
  }
  for (; i + 8 <= dimension; i += 8) {
    sum0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), sum0);
  }
  __m256 sum = _mm256_add_ps(sum0, sum1);
  __m128 half = _mm_add_ps(_mm256_castps256_ps128(sum), _mm256_extractf128_ps(sum, 1));
  half = _mm_add_ps(half, _mm_movehl_ps(half, half));
  half = _mm_add_ss(half, _mm_movehdup_ps(half));
  float total = _mm_cvtss_f32(half);
  for (; i < dimension; ++i) total += a[i] * b[i];
  return total;
}

__attribute__((target("avx512f"))) float Avx512InnerProduct(const float* a, const float* b,
                                                            size_t dimension) {
  __m512 sum0 = _mm512_setzero_ps();
  __m512 sum1 = _mm512_setzero_ps();
  size_t i = 0;
  for (; i + 32 <= dimension; i += 32) {
    sum0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), sum0);
    sum1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), sum1);
  }
  for (; i + 16 <= dimension; i += 16) {
    sum0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), sum0);
  }
  if (i < dimension) {
    __mmask16 mask = static_cast<__mmask16>((1u << (dimension - i)) - 1);
    sum1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mask, a + i), _mm512_maskz_loadu_ps(mask, b + i),
                           sum1);
  }
  // The AVX-512 reduction intrinsics trip a false -Wuninitialized in GCC
  // 12, so the 16 lanes are summed from memory.
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, _mm512_add_ps(sum0, sum1));
  float total = 0;
  for (float lane : lanes) total += lane;
  return total;
}

Kernel SelectKernel() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return Avx512InnerProduct;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Avx2InnerProduct;
  return PortableInnerProduct;
}

float ResolveAndCall(const float* a, const float* b, size_t dimension);

// Starts as ResolveAndCall so that the first call, even one made during
// static initialisation, picks the kernel; later calls go straight to it.
constinit std::atomic<Kernel> g_kernel{ResolveAndCall};

float ResolveAndCall(const float* a, const float* b, size_t dimension) {
  Kernel kernel = SelectKernel();
  g_kernel.store(kernel, std::memory_order_relaxed);
  return kernel(a, b, dimension);
}

}  // namespace

float InnerProduct(const float* a, const float* b, size_t dimension) {
  return g_kernel.load(std::memory_order_relaxed)(a, b, dimension);
}

std::string_view InnerProductKernel() {
  Kernel kernel = SelectKernel();
  if (kernel == Avx512InnerProduct) return "avx512";
  if (kernel == Avx2InnerProduct) return "avx2";
  return "portable";
}

bool AllFinite(std::span<const float> vector) {
  for (float value : vector) {
    if (!std::isfinite(value)) return false;
  }
  return true;
}

bool NormalizeInPlace(std::span<float> vector) {
  if (vector.empty() || !AllFinite(vector)) return false;
  double squared_norm = 0;
  for (float value : vector) squared_norm += static_cast<double>(value) * value;
  if (squared_norm == 0 || !std::isfinite(squared_norm)) return false;
  double scale = 1.0 / std::sqrt(squared_norm);
  for (float& value : vector) value = static_cast<float>(value * scale);
  return true;
}

}  // namespace msearch::search

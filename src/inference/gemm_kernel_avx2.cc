// The AVX2 + FMA micro-kernel, for x86-64 CPUs without AVX-512. Only this
// file is compiled for AVX2, through the pragma below the includes, for the
// same reason as in gemm_kernel_avx512.cc: no inline function of a shared
// header may get an AVX2 body.

#include <immintrin.h>

#include "inference/gemm_kernel.h"

#pragma GCC push_options
#pragma GCC target("avx2,fma")

#include "inference/gemm_activation.h"

namespace msearch::inference::gemm {
namespace {

constexpr int kMaxRows = 6;
constexpr int kVectors = 2;  // ymm registers per tile row
constexpr int kPanelWidth = kVectors * 8;

// Applies kActivation to a stored tile of C while it is in the L1 cache.
template <Activation kActivation>
void ActivateStored(float* c, int64_t ldc, int rows, int columns) {
  const int full_vectors = columns / 8;
  const __m256i tail =
      _mm256_cmpgt_epi32(_mm256_set1_epi32(columns % 8), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  for (int i = 0; i < rows; ++i) {
    float* row = c + i * ldc;
    for (int j = 0; j < full_vectors; ++j) {
      const __m256 x = _mm256_loadu_ps(row + 8 * j);
      _mm256_storeu_ps(row + 8 * j, Activate<__m256, __v8si>(x, kActivation));
    }
    if (columns % 8 != 0) {
      float* last = row + 8 * full_vectors;
      const __m256 x = _mm256_maskload_ps(last, tail);
      _mm256_maskstore_ps(last, tail, Activate<__m256, __v8si>(x, kActivation));
    }
  }
}

// One copy serves every tile shape, and the switch runs once per tile.
[[gnu::noinline]] void ActivateTile(float* c, int64_t ldc, int rows, int columns,
                                    Activation activation) {
  switch (activation) {
    case Activation::kQuickGelu:
      return ActivateStored<Activation::kQuickGelu>(c, ldc, rows, columns);
    case Activation::kGelu:
      return ActivateStored<Activation::kGelu>(c, ldc, rows, columns);
    case Activation::kGeluTanh:
      return ActivateStored<Activation::kGeluTanh>(c, ldc, rows, columns);
    case Activation::kRelu:
      return ActivateStored<Activation::kRelu>(c, ldc, rows, columns);
  }
}

// 12 accumulators, 2 panel vectors and one broadcast of A use 15 of the 16
// ymm registers, the tile shape of the BLIS Haswell kernel.
template <int kRows, bool kFull>
void Tile(const TileArguments& args) {
  __m256 accumulators[kRows][kVectors];
#pragma GCC unroll 6
  for (int i = 0; i < kRows; ++i) {
#pragma GCC unroll 2
    for (int j = 0; j < kVectors; ++j) accumulators[i][j] = _mm256_setzero_ps();
  }
  const float* a_rows[kRows];
#pragma GCC unroll 6
  for (int i = 0; i < kRows; ++i) a_rows[i] = args.a + i * args.lda;

  const float* b = args.b;
  for (int k = 0; k < args.depth; ++k) {
    const __m256 b0 = _mm256_load_ps(b);
    const __m256 b1 = _mm256_load_ps(b + 8);
#pragma GCC unroll 6
    for (int i = 0; i < kRows; ++i) {
      const __m256 a = _mm256_broadcast_ss(a_rows[i] + k);
      accumulators[i][0] = _mm256_fmadd_ps(a, b0, accumulators[i][0]);
      accumulators[i][1] = _mm256_fmadd_ps(a, b1, accumulators[i][1]);
    }
    b += kPanelWidth;
  }

  // Lane masks of the columns to load and store, for a partial last panel.
  __m256i masks[kVectors];
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
#pragma GCC unroll 2
  for (int j = 0; j < kVectors; ++j) {
    masks[j] = _mm256_cmpgt_epi32(_mm256_set1_epi32(args.columns - 8 * j), lanes);
  }
  __m256 bias[kVectors];
#pragma GCC unroll 2
  for (int j = 0; j < kVectors; ++j) {
    bias[j] = args.bias != nullptr ? _mm256_loadu_ps(args.bias + 8 * j) : _mm256_setzero_ps();
  }
  // Copies, so that the stores to C need not reload the arguments.
  float* const c_tile = args.c;
  const int64_t ldc = args.ldc;
  const bool add_to_c = args.add_to_c;
#pragma GCC unroll 6
  for (int i = 0; i < kRows; ++i) {
    float* c = c_tile + i * ldc;
#pragma GCC unroll 2
    for (int j = 0; j < kVectors; ++j) {
      __m256 value = _mm256_add_ps(accumulators[i][j], bias[j]);
      if constexpr (kFull) {
        if (add_to_c) value = _mm256_add_ps(value, _mm256_loadu_ps(c + 8 * j));
        _mm256_storeu_ps(c + 8 * j, value);
      } else {
        if (add_to_c) value = _mm256_add_ps(value, _mm256_maskload_ps(c + 8 * j, masks[j]));
        _mm256_maskstore_ps(c + 8 * j, masks[j], value);
      }
    }
  }
  if (args.activate) ActivateTile(c_tile, ldc, kRows, args.columns, args.activation);
}

template <bool kFull>
void TileRows(const TileArguments& args) {
  switch (args.rows) {
    case 1:
      return Tile<1, kFull>(args);
    case 2:
      return Tile<2, kFull>(args);
    case 3:
      return Tile<3, kFull>(args);
    case 4:
      return Tile<4, kFull>(args);
    case 5:
      return Tile<5, kFull>(args);
    default:
      return Tile<6, kFull>(args);
  }
}

void RunTile(const TileArguments& args) {
  if (args.columns == kPanelWidth) {
    TileRows<true>(args);
  } else {
    TileRows<false>(args);
  }
}

// The attention functions: 3 query rows times 3 vectors of 8 keys or head
// dimensions, 9 accumulators, which leaves registers for 3 loaded vectors and
// a broadcast.
using Vector = __m256;
using IntVector = __v8si;
inline Vector Fma(Vector a, Vector b, Vector c) { return _mm256_fmadd_ps(a, b, c); }
inline Vector Splat(float value) { return _mm256_set1_ps(value); }
constexpr int kLanes = 8;
constexpr int kBlockRows = 3;
constexpr int kBlockVectors = 3;

}  // namespace
}  // namespace msearch::inference::gemm

#include "inference/attention_simd.h"

#pragma GCC pop_options

namespace msearch::inference::gemm {

// Compiled without AVX2, so that SupportedKernels may call it on any CPU.
const MicroKernel& Avx2Kernel() {
  static const MicroKernel kernel{Isa::kAvx2, "avx2",      kMaxRows,     kPanelWidth, &RunTile,
                                  kLanes,     &HeadScores, &HeadSoftmax, &HeadContext};
  return kernel;
}

}  // namespace msearch::inference::gemm

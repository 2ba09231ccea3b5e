// The AVX-512 micro-kernel. Only this file is compiled for AVX-512, through
// the pragma below the includes, so that no inline function of a shared header
// gets an AVX-512 body that the linker could pick for other callers. The code
// here therefore uses intrinsics and its own functions only.

#include <immintrin.h>

#include "inference/gemm_kernel.h"

#pragma GCC push_options
#pragma GCC target("avx512f,avx2,fma")

#include "inference/gemm_activation.h"

namespace msearch::inference::gemm {
namespace {

constexpr int kMaxRows = 8;
constexpr int kVectors = 3;  // zmm registers per tile row
constexpr int kPanelWidth = kVectors * 16;

// Applies kActivation to a stored tile of C while it is in the L1 cache.
template <Activation kActivation>
void ActivateStored(float* c, int64_t ldc, int rows, int columns) {
  const int full_vectors = columns / 16;
  const __mmask16 tail = static_cast<__mmask16>((1u << (columns % 16)) - 1);
  for (int i = 0; i < rows; ++i) {
    float* row = c + i * ldc;
    for (int j = 0; j < full_vectors; ++j) {
      const __m512 x = _mm512_loadu_ps(row + 16 * j);
      _mm512_storeu_ps(row + 16 * j, Activate<__m512, __v16si>(x, kActivation));
    }
    if (tail != 0) {
      float* last = row + 16 * full_vectors;
      const __m512 x = _mm512_maskz_loadu_ps(tail, last);
      _mm512_mask_storeu_ps(last, tail, Activate<__m512, __v16si>(x, kActivation));
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

// 24 accumulators, 3 panel vectors and one broadcast of A use 28 of the 32
// zmm registers. Each input index costs 3 aligned loads of the panel and one
// broadcast load per row, against 24 FMAs. With kFull false the last panel's
// missing columns are masked out of the loads and stores of C.
template <int kRows, bool kFull>
void Tile(const TileArguments& args) {
  __m512 accumulators[kRows][kVectors];
#pragma GCC unroll 8
  for (int i = 0; i < kRows; ++i) {
#pragma GCC unroll 3
    for (int j = 0; j < kVectors; ++j) accumulators[i][j] = _mm512_setzero_ps();
  }
  const float* a_rows[kRows];
#pragma GCC unroll 8
  for (int i = 0; i < kRows; ++i) a_rows[i] = args.a + i * args.lda;

  const float* b = args.b;
  for (int k = 0; k < args.depth; ++k) {
    const __m512 b0 = _mm512_load_ps(b);
    const __m512 b1 = _mm512_load_ps(b + 16);
    const __m512 b2 = _mm512_load_ps(b + 32);
#pragma GCC unroll 8
    for (int i = 0; i < kRows; ++i) {
      const __m512 a = _mm512_set1_ps(a_rows[i][k]);
      accumulators[i][0] = _mm512_fmadd_ps(a, b0, accumulators[i][0]);
      accumulators[i][1] = _mm512_fmadd_ps(a, b1, accumulators[i][1]);
      accumulators[i][2] = _mm512_fmadd_ps(a, b2, accumulators[i][2]);
    }
    b += kPanelWidth;
  }

  __mmask16 masks[kVectors];
#pragma GCC unroll 3
  for (int j = 0; j < kVectors; ++j) {
    const int remaining = args.columns - 16 * j;
    masks[j] = kFull || remaining >= 16 ? static_cast<__mmask16>(0xFFFF)
               : remaining <= 0         ? static_cast<__mmask16>(0)
                                        : static_cast<__mmask16>((1u << remaining) - 1);
  }
  __m512 bias[kVectors];
#pragma GCC unroll 3
  for (int j = 0; j < kVectors; ++j) {
    bias[j] = args.bias != nullptr ? _mm512_loadu_ps(args.bias + 16 * j) : _mm512_setzero_ps();
  }
  // Copies, so that the stores to C need not reload the arguments.
  float* const c_tile = args.c;
  const int64_t ldc = args.ldc;
  const bool add_to_c = args.add_to_c;
#pragma GCC unroll 8
  for (int i = 0; i < kRows; ++i) {
    float* c = c_tile + i * ldc;
#pragma GCC unroll 3
    for (int j = 0; j < kVectors; ++j) {
      __m512 value = _mm512_add_ps(accumulators[i][j], bias[j]);
      if constexpr (kFull) {
        if (add_to_c) value = _mm512_add_ps(value, _mm512_loadu_ps(c + 16 * j));
        _mm512_storeu_ps(c + 16 * j, value);
      } else {
        if (add_to_c) value = _mm512_add_ps(value, _mm512_maskz_loadu_ps(masks[j], c + 16 * j));
        _mm512_mask_storeu_ps(c + 16 * j, masks[j], value);
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
    case 6:
      return Tile<6, kFull>(args);
    case 7:
      return Tile<7, kFull>(args);
    default:
      return Tile<8, kFull>(args);
  }
}

void RunTile(const TileArguments& args) {
  if (args.columns == kPanelWidth) {
    TileRows<true>(args);
  } else {
    TileRows<false>(args);
  }
}

// The attention functions: 4 query rows times 4 vectors of 16 keys or head
// dimensions, 16 accumulators.
using Vector = __m512;
using IntVector = __v16si;
inline Vector Fma(Vector a, Vector b, Vector c) { return _mm512_fmadd_ps(a, b, c); }
inline Vector Splat(float value) { return _mm512_set1_ps(value); }
constexpr int kLanes = 16;
constexpr int kBlockRows = 4;
constexpr int kBlockVectors = 4;

}  // namespace
}  // namespace msearch::inference::gemm

#include "inference/attention_simd.h"

#pragma GCC pop_options

namespace msearch::inference::gemm {

// Compiled without AVX-512, so that SupportedKernels may call it on any CPU.
const MicroKernel& Avx512Kernel() {
  static const MicroKernel kernel{Isa::kAvx512, "avx512",    kMaxRows,     kPanelWidth, &RunTile,
                                  kLanes,       &HeadScores, &HeadSoftmax, &HeadContext};
  return kernel;
}

}  // namespace msearch::inference::gemm

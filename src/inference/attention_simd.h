#pragma once

#include <cstdint>

#include <immintrin.h>

#include "inference/gemm_kernel.h"

// The two products and the softmax of one attention head, for the
// micro-kernel files. Like gemm_activation.h, include it only from a
// gemm_kernel_*.cc file after its target pragma (which must enable AVX2) and
// after gemm_kernel.h and gemm_activation.h: everything here has internal
// linkage and is compiled for that file's instruction set. The including
// file defines, before the include, in msearch::inference::gemm:
//   Vector, IntVector  the vector types (GCC vector extensions) of kLanes
//                      floats and of kLanes int32
//   Fma(a, b, c)       a * b + c on Vector, one fused instruction
//   Splat(x)           a Vector with x in every lane
//   kLanes, kBlockRows, kBlockVectors   the register block: kBlockRows query
//                      rows times kBlockVectors vectors of accumulators
namespace msearch::inference::gemm {
namespace {

inline Vector LoadVector(const float* source) {
  Vector value;
  __builtin_memcpy(&value, source, sizeof(value));
  return value;
}

inline void StoreVector(float* target, Vector value) {
  __builtin_memcpy(target, &value, sizeof(value));
}

// scores[i, j] = scale * q_i . k_j for kRows query rows from `first_row` and
// kVectors vectors of keys from `first_vector`, with the keys transposed in
// key_t [head_dim, padded_length].
template <int kRows, int kVectors>
void ScoreBlock(const HeadArguments& args, const float* key_t, int first_row, int first_vector) {
  Vector accumulators[kRows][kVectors] = {};
  const float* key_column = key_t + first_vector * kLanes;
  for (int d = 0; d < args.head_dim; ++d) {
    Vector keys[kVectors];
#pragma GCC unroll 4
    for (int v = 0; v < kVectors; ++v) {
      keys[v] = LoadVector(key_column + static_cast<int64_t>(d) * args.padded_length + v * kLanes);
    }
#pragma GCC unroll 4
    for (int r = 0; r < kRows; ++r) {
      const Vector q = Splat(args.query[(first_row + r) * args.stride + d]);
#pragma GCC unroll 4
      for (int v = 0; v < kVectors; ++v) accumulators[r][v] = Fma(q, keys[v], accumulators[r][v]);
    }
  }
#pragma GCC unroll 4
  for (int r = 0; r < kRows; ++r) {
    float* row = args.scores + static_cast<int64_t>(first_row + r) * args.padded_length +
                 first_vector * kLanes;
#pragma GCC unroll 4
    for (int v = 0; v < kVectors; ++v)
      StoreVector(row + v * kLanes, accumulators[r][v] * args.scale);
  }
}

// context[i, :] = sum_j p_ij v_j for kRows rows from `first_row` and kVectors
// vectors of the head dimension from `first_vector`.
template <int kRows, int kVectors>
void ContextBlock(const HeadArguments& args, int first_row, int first_vector) {
  Vector accumulators[kRows][kVectors] = {};
  const float* value_column = args.value + first_vector * kLanes;
  for (int j = 0; j < args.length; ++j) {
    Vector values[kVectors];
#pragma GCC unroll 4
    for (int v = 0; v < kVectors; ++v) {
      values[v] = LoadVector(value_column + j * args.stride + v * kLanes);
    }
#pragma GCC unroll 4
    for (int r = 0; r < kRows; ++r) {
      const Vector p =
          Splat(args.scores[static_cast<int64_t>(first_row + r) * args.padded_length + j]);
#pragma GCC unroll 4
      for (int v = 0; v < kVectors; ++v) {
        accumulators[r][v] = Fma(p, values[v], accumulators[r][v]);
      }
    }
  }
#pragma GCC unroll 4
  for (int r = 0; r < kRows; ++r) {
    float* row = args.context + (first_row + r) * args.context_stride + first_vector * kLanes;
#pragma GCC unroll 4
    for (int v = 0; v < kVectors; ++v) StoreVector(row + v * kLanes, accumulators[r][v]);
  }
}

// Runs Block<rows, vectors> over every (row block, vector block) of a
// rows x vectors grid, with the partial blocks at the ends dispatched to
// their own instantiations so that the accumulators stay in registers.
template <template <int, int> class Block, typename... Arguments>
void ForEachBlock(int rows, int vectors, Arguments... arguments) {
  for (int row = 0; row < rows; row += kBlockRows) {
    const int block_rows = rows - row < kBlockRows ? rows - row : kBlockRows;
    for (int vector = 0; vector < vectors; vector += kBlockVectors) {
      const int block_vectors = vectors - vector < kBlockVectors ? vectors - vector : kBlockVectors;
      Block<kBlockRows, kBlockVectors>::Dispatch(block_rows, block_vectors, row, vector,
                                                 arguments...);
    }
  }
}

// Picks the instantiation for `rows` <= kR and `vectors` <= kV.
template <int kR, int kV>
struct ScoreDispatch {
  static void Dispatch(int rows, int vectors, int row, int vector, const HeadArguments& args,
                       const float* key_t) {
    if (rows < kR) {
      return ScoreDispatch<(kR > 1 ? kR - 1 : 1), kV>::Dispatch(rows, vectors, row, vector, args,
                                                                key_t);
    }
    if (vectors < kV) {
      return ScoreDispatch<kR, (kV > 1 ? kV - 1 : 1)>::Dispatch(rows, vectors, row, vector, args,
                                                                key_t);
    }
    ScoreBlock<kR, kV>(args, key_t, row, vector);
  }
};

template <int kR, int kV>
struct ContextDispatch {
  static void Dispatch(int rows, int vectors, int row, int vector, const HeadArguments& args) {
    if (rows < kR) {
      return ContextDispatch<(kR > 1 ? kR - 1 : 1), kV>::Dispatch(rows, vectors, row, vector, args);
    }
    if (vectors < kV) {
      return ContextDispatch<kR, (kV > 1 ? kV - 1 : 1)>::Dispatch(rows, vectors, row, vector, args);
    }
    ContextBlock<kR, kV>(args, row, vector);
  }
};

// Transposes the 8 x 8 block at `source` (rows source_stride floats apart)
// into `target` (rows target_stride floats apart), with the usual AVX
// unpack, shuffle and lane-permute sequence.
inline void Transpose8x8(const float* source, int64_t source_stride, float* target,
                         int64_t target_stride) {
  __m256 rows[8];
#pragma GCC unroll 8
  for (int i = 0; i < 8; ++i) rows[i] = _mm256_loadu_ps(source + i * source_stride);
  __m256 pairs[8];
#pragma GCC unroll 4
  for (int i = 0; i < 4; ++i) {
    pairs[2 * i] = _mm256_unpacklo_ps(rows[2 * i], rows[2 * i + 1]);
    pairs[2 * i + 1] = _mm256_unpackhi_ps(rows[2 * i], rows[2 * i + 1]);
  }
  __m256 quads[8];
#pragma GCC unroll 2
  for (int i = 0; i < 2; ++i) {
    const __m256 a = pairs[4 * i];
    const __m256 b = pairs[4 * i + 1];
    const __m256 c = pairs[4 * i + 2];
    const __m256 d = pairs[4 * i + 3];
    quads[4 * i] = _mm256_shuffle_ps(a, c, _MM_SHUFFLE(1, 0, 1, 0));
    quads[4 * i + 1] = _mm256_shuffle_ps(a, c, _MM_SHUFFLE(3, 2, 3, 2));
    quads[4 * i + 2] = _mm256_shuffle_ps(b, d, _MM_SHUFFLE(1, 0, 1, 0));
    quads[4 * i + 3] = _mm256_shuffle_ps(b, d, _MM_SHUFFLE(3, 2, 3, 2));
  }
#pragma GCC unroll 4
  for (int i = 0; i < 4; ++i) {
    _mm256_storeu_ps(target + i * target_stride,
                     _mm256_permute2f128_ps(quads[i], quads[i + 4], 0x20));
    _mm256_storeu_ps(target + (i + 4) * target_stride,
                     _mm256_permute2f128_ps(quads[i], quads[i + 4], 0x31));
  }
}

// Computes the scores of one head. Transposes its keys into the scratch
// behind the scores, zero-padded to padded_length, then runs the score blocks.
void HeadScores(const HeadArguments& args) {
  float* key_t = args.scores + static_cast<int64_t>(args.length) * args.padded_length;
  const int full_blocks = args.length / 8 * 8;
  for (int j = 0; j < full_blocks; j += 8) {
    for (int d = 0; d < args.head_dim; d += 8) {
      Transpose8x8(args.key + j * args.stride + d, args.stride,
                   key_t + static_cast<int64_t>(d) * args.padded_length + j, args.padded_length);
    }
  }
  for (int d = 0; d < args.head_dim; ++d) {
    float* column = key_t + static_cast<int64_t>(d) * args.padded_length;
    for (int j = full_blocks; j < args.length; ++j) column[j] = args.key[j * args.stride + d];
    for (int j = args.length; j < args.padded_length; ++j) column[j] = 0.0f;
  }
  ForEachBlock<ScoreDispatch>(args.length, args.padded_length / kLanes, args,
                              static_cast<const float*>(key_t));
}

// Applies softmax to each score row over its first `visible` keys (all of
// them, or the query's own and earlier ones when causal) and writes zeros
// after them. The operations are those of SoftmaxRow, on vectors of the
// padded row.
void HeadSoftmax(const HeadArguments& args) {
  IntVector lane_index;
  for (int lane = 0; lane < kLanes; ++lane) lane_index[lane] = lane;
  // Lane permutations that fold a vector onto itself, halving the distance
  // each time, so that a max or a sum over kLanes lanes takes log2(kLanes)
  // steps and ends with the result in every lane.
  constexpr int kLevels = kLanes == 16 ? 4 : 3;
  IntVector rotations[kLevels];
  for (int level = 0, shift = kLanes / 2; level < kLevels; ++level, shift /= 2) {
    for (int lane = 0; lane < kLanes; ++lane) rotations[level][lane] = (lane + shift) % kLanes;
  }

  const Vector lowest = Splat(-__builtin_inff());
  for (int i = 0; i < args.length; ++i) {
    float* row = args.scores + static_cast<int64_t>(i) * args.padded_length;
    const int visible = args.causal ? i + 1 : args.length;
    Vector maximum = lowest;
    for (int j = 0; j < visible; j += kLanes) {
      const Vector x = LoadVector(row + j);
      maximum = ((lane_index + j < visible) & (x > maximum)) ? x : maximum;
    }
    for (const IntVector& rotation : rotations) {
      const Vector rotated = __builtin_shuffle(maximum, rotation);
      maximum = rotated > maximum ? rotated : maximum;
    }
    const float row_maximum = maximum[0];
    Vector sums = Vector{};
    for (int j = 0; j < args.padded_length; j += kLanes) {
      const Vector e = ExpVector<Vector, IntVector>(LoadVector(row + j) - row_maximum);
      const Vector visible_exps = lane_index + j < visible ? e : Vector{};
      StoreVector(row + j, visible_exps);
      sums += visible_exps;
    }
    for (const IntVector& rotation : rotations) sums += __builtin_shuffle(sums, rotation);
    const float inverse = 1.0f / sums[0];
    for (int j = 0; j < visible; j += kLanes) StoreVector(row + j, LoadVector(row + j) * inverse);
  }
}

void HeadContext(const HeadArguments& args) {
  ForEachBlock<ContextDispatch>(args.length, args.head_dim / kLanes, args);
}

}  // namespace
}  // namespace msearch::inference::gemm

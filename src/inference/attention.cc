#include "inference/attention.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <cblas.h>

#include "inference/kernels.h"

namespace msearch::inference {
namespace {

// How many masks (causal, padding) hide key j from query i.
int MaskLevel(const AttentionShape& shape, const int64_t* key_mask, int query, int key) {
  int level = 0;
  if (shape.causal && key > query) ++level;
  if (key_mask != nullptr && key_mask[key] == 0) ++level;
  return level;
}

// Turns one row of raw scores into attention probabilities.
void MaskedSoftmaxRow(const AttentionShape& shape, const int64_t* key_mask, int query, float* row) {
  const int length = shape.sequence_length;
  if (key_mask == nullptr) {
    const int visible = shape.causal ? query + 1 : length;
    SoftmaxRow(row, visible);
    for (int key = visible; key < length; ++key) row[key] = 0.0f;
    return;
  }
  int lowest = 2;
  for (int key = 0; key < length && lowest > 0; ++key) {
    lowest = std::min(lowest, MaskLevel(shape, key_mask, query, key));
  }
  if (lowest == 0) {
    constexpr float kHidden = -std::numeric_limits<float>::infinity();
    for (int key = 0; key < length; ++key) {
      if (MaskLevel(shape, key_mask, query, key) != 0) row[key] = kHidden;
    }
    SoftmaxRow(row, length);
    for (int key = 0; key < length; ++key) {
      if (MaskLevel(shape, key_mask, query, key) != 0) row[key] = 0.0f;
    }
    return;
  }
  int count = 0;
  for (int key = 0; key < length; ++key) count += MaskLevel(shape, key_mask, query, key) == lowest;
  for (int key = 0; key < length; ++key) {
    row[key] = MaskLevel(shape, key_mask, query, key) == lowest ? 1.0f / count : 0.0f;
  }
}

// Rounds `length` up to a multiple of 16, the widest vector (in floats) of
// the attention functions.
int PaddedLength(int length) { return (length + 15) / 16 * 16; }

// Runs SelfAttention with the attention functions of `kernel`.
void KernelAttention(ThreadPool& pool, const AttentionShape& shape, const float* qkv, float* output,
                     float* scratch, const gemm::MicroKernel& kernel) {
  const int length = shape.sequence_length;
  const int width = shape.num_heads * shape.head_dim;
  const size_t per_thread = AttentionScratchFloats(length, shape.head_dim);

  pool.ParallelFor(shape.batch * shape.num_heads, [&](int task, int thread) {
    const int batch = task / shape.num_heads;
    const int head = task % shape.num_heads;
    gemm::HeadArguments args;
    args.query = qkv + static_cast<size_t>(batch) * length * 3 * width + head * shape.head_dim;
    args.key = args.query + width;
    args.value = args.key + width;
    args.stride = 3 * width;
    args.length = length;
    args.head_dim = shape.head_dim;
    args.padded_length = PaddedLength(length);
    args.scale = 1.0f / std::sqrt(static_cast<float>(shape.head_dim));
    args.causal = shape.causal;
    args.scores = scratch + thread * per_thread;
    args.context = output + static_cast<size_t>(batch) * length * width + head * shape.head_dim;
    args.context_stride = width;
    const int64_t* key_mask =
        shape.key_mask != nullptr
            ? shape.key_mask + static_cast<size_t>(batch) * shape.key_mask_stride
            : nullptr;

    kernel.head_scores(args);
    if (key_mask == nullptr) {
      kernel.head_softmax(args);
    } else {
      for (int i = 0; i < length; ++i) {
        MaskedSoftmaxRow(shape, key_mask, i,
                         args.scores + static_cast<size_t>(i) * args.padded_length);
      }
    }
    kernel.head_context(args);
  });
}

}  // namespace

size_t AttentionScratchFloats(int sequence_length, int head_dim) {
  const size_t padded = PaddedLength(sequence_length);
  return padded * (static_cast<size_t>(sequence_length) + head_dim);
}

void SelfAttention(ThreadPool& pool, const AttentionShape& shape, const float* qkv, float* output,
                   float* scratch) {
  SelfAttention(pool, shape, qkv, output, scratch, gemm::DefaultKernel());
}

void SelfAttention(ThreadPool& pool, const AttentionShape& shape, const float* qkv, float* output,
                   float* scratch, const gemm::MicroKernel* kernel) {
  if (kernel != nullptr && shape.head_dim % kernel->attention_lanes == 0) {
    KernelAttention(pool, shape, qkv, output, scratch, *kernel);
    return;
  }
  const int length = shape.sequence_length;
  const int width = shape.num_heads * shape.head_dim;
  const int qkv_stride = 3 * width;
  const float scale = 1.0f / std::sqrt(static_cast<float>(shape.head_dim));
  const size_t per_thread = AttentionScratchFloats(length, shape.head_dim);

  pool.ParallelFor(shape.batch * shape.num_heads, [&](int task, int thread) {
    const int batch = task / shape.num_heads;
    const int head = task % shape.num_heads;
    const float* rows = qkv + static_cast<size_t>(batch) * length * qkv_stride;
    const float* query = rows + head * shape.head_dim;
    const float* key = query + width;
    const float* value = key + width;
    float* scores = scratch + thread * per_thread;
    const int64_t* key_mask =
        shape.key_mask != nullptr
            ? shape.key_mask + static_cast<size_t>(batch) * shape.key_mask_stride
            : nullptr;

    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, length, length, shape.head_dim, scale,
                query, qkv_stride, key, qkv_stride, 0.0f, scores, length);
    for (int i = 0; i < length; ++i) {
      MaskedSoftmaxRow(shape, key_mask, i, scores + static_cast<size_t>(i) * length);
    }
    float* out = output + static_cast<size_t>(batch) * length * width + head * shape.head_dim;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, length, shape.head_dim, length, 1.0f,
                scores, length, value, qkv_stride, 0.0f, out, width);
  });
}

void SelfAttentionAt(ThreadPool& pool, const AttentionShape& shape, const float* qkv,
                     const int* query_positions, float* output, float* scratch) {
  const int length = shape.sequence_length;
  const int dim = shape.head_dim;
  const int width = shape.num_heads * dim;
  const int qkv_stride = 3 * width;
  const float scale = 1.0f / std::sqrt(static_cast<float>(dim));

  pool.ParallelFor(shape.batch * shape.num_heads, [&](int task, int thread) {
    const int batch = task / shape.num_heads;
    const int head = task % shape.num_heads;
    const int position = query_positions[batch];
    const float* rows = qkv + static_cast<size_t>(batch) * length * qkv_stride + head * dim;
    const float* query = rows + static_cast<size_t>(position) * qkv_stride;
    float* scores = scratch + static_cast<size_t>(thread) * length;
    const int64_t* key_mask =
        shape.key_mask != nullptr
            ? shape.key_mask + static_cast<size_t>(batch) * shape.key_mask_stride
            : nullptr;

    for (int key = 0; key < length; ++key) {
      const float* key_row = rows + static_cast<size_t>(key) * qkv_stride + width;
      float dot = 0.0f;
      for (int d = 0; d < dim; ++d) dot += query[d] * key_row[d];
      scores[key] = dot * scale;
    }
    MaskedSoftmaxRow(shape, key_mask, position, scores);
    float* out = output + static_cast<size_t>(batch) * width + head * dim;
    std::fill(out, out + dim, 0.0f);
    for (int key = 0; key < length; ++key) {
      const float* value_row = rows + static_cast<size_t>(key) * qkv_stride + 2 * width;
      const float probability = scores[key];
      for (int d = 0; d < dim; ++d) out[d] += probability * value_row[d];
    }
  });
}

}  // namespace msearch::inference

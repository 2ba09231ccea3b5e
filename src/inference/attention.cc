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

}  // namespace

void SelfAttention(ThreadPool& pool, const AttentionShape& shape, const float* qkv, float* output,
                   float* scratch) {
  const int length = shape.sequence_length;
  const int width = shape.num_heads * shape.head_dim;
  const int qkv_stride = 3 * width;
  const float scale = 1.0f / std::sqrt(static_cast<float>(shape.head_dim));

  pool.ParallelFor(shape.batch * shape.num_heads, [&](int task, int thread) {
    const int batch = task / shape.num_heads;
    const int head = task % shape.num_heads;
    const float* rows = qkv + static_cast<size_t>(batch) * length * qkv_stride;
    const float* query = rows + head * shape.head_dim;
    const float* key = query + width;
    const float* value = key + width;
    float* scores = scratch + static_cast<size_t>(thread) * length * length;
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

}  // namespace msearch::inference

#pragma once

#include <cstdint>

#include "inference/thread_pool.h"

namespace msearch::inference {

// Shapes and masks of one multi-head self-attention call.
struct AttentionShape {
  int batch = 0;
  int sequence_length = 0;
  int num_heads = 0;
  int head_dim = 0;
  // Queries see only keys at positions <= their own (CLIP text).
  bool causal = false;
  // [batch, key_mask_stride] with 1 for real tokens and 0 for padding, or
  // nullptr when every key is visible.
  const int64_t* key_mask = nullptr;
  int key_mask_stride = 0;
};

// Scaled dot-product attention over rows laid out as [batch * seq, 3 * width]
// with q, k and v side by side (width = num_heads * head_dim), writing the
// merged heads to `output` [batch * seq, width]. Scores are scaled by
// head_dim^-0.5. (batch, head) pairs run in parallel; each computes its scores
// with one sgemm into per-thread `scratch`, which must hold num_threads * seq *
// seq floats.
//
// Masked keys get probability 0. This matches the additive float32-min masks
// of transformers 4.27 whenever a query has at least one unmasked key. A query
// whose keys are all masked spreads its attention evenly over the keys masked
// once (not twice), as the saturated float32-min sums of the reference do.
void SelfAttention(ThreadPool& pool, const AttentionShape& shape, const float* qkv, float* output,
                   float* scratch);

}  // namespace msearch::inference

#pragma once

#include <cstddef>
#include <cstdint>

#include "inference/gemm_kernel.h"
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

// Returns the number of scratch floats that SelfAttention needs per thread.
size_t AttentionScratchFloats(int sequence_length, int head_dim);

// Scaled dot-product attention over rows laid out as [batch * seq, 3 * width]
// with q, k and v side by side (width = num_heads * head_dim), writing the
// merged heads to `output` [batch * seq, width]. Scores are scaled by
// head_dim^-0.5. (batch, head) pairs run in parallel, each with its part of
// `scratch`, which must have room for num_threads *
// AttentionScratchFloats(seq, head_dim) floats. The two products of a head
// run on the attention functions of `kernel` when head_dim is a multiple of
// its vector width, and on OpenBLAS otherwise or when `kernel` is nullptr.
//
// Masked keys get probability 0. This matches the additive float32-min masks
// of transformers 4.27 whenever a query has at least one unmasked key. A query
// whose keys are all masked spreads its attention evenly over the keys masked
// once (not twice), as the saturated float32-min sums of the reference do.
void SelfAttention(ThreadPool& pool, const AttentionShape& shape, const float* qkv, float* output,
                   float* scratch, const gemm::MicroKernel* kernel);

// Runs SelfAttention with gemm::DefaultKernel().
void SelfAttention(ThreadPool& pool, const AttentionShape& shape, const float* qkv, float* output,
                   float* scratch);

// Computes SelfAttention for one query per sequence, the token at
// query_positions[b] of sequence b, with every key, value and mask as above.
// Writes its merged heads to row b of `output` [batch, width]. `scratch`
// must have room for num_threads * seq floats.
void SelfAttentionAt(ThreadPool& pool, const AttentionShape& shape, const float* qkv,
                     const int* query_positions, float* output, float* scratch);

}  // namespace msearch::inference

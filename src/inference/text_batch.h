#pragma once

#include <cstdint>
#include <span>

namespace msearch::inference {

// Token ids of `batch_size` texts, each padded or cut to `sequence_length`
// tokens, in the layout Hugging Face tokenizers return ([batch, seq] row-major).
struct TextBatch {
  int batch_size = 0;
  int sequence_length = 0;
  std::span<const int64_t> input_ids;
  // 1 for real tokens, 0 for padding; empty means every token is real.
  std::span<const int64_t> attention_mask;
  // Segment ids for BERT-style encoders; empty means all 0. CLIP ignores them.
  std::span<const int64_t> token_type_ids;
};

// Checks a batch against a text tower's limits. Throws ModelError unless each
// span contains batch_size * sequence_length values (or is empty where
// allowed) and sequence_length is in [1, max_positions]. Every id must be in
// [0, vocab_size), every mask value 0 or 1, every token type in
// [0, type_vocab_size).
void ValidateTextBatch(const TextBatch& batch, int vocab_size, int max_positions,
                       int type_vocab_size);

}  // namespace msearch::inference

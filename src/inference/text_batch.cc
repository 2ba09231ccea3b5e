#include "inference/text_batch.h"

#include <fmt/format.h>

#include "inference/model_error.h"

namespace msearch::inference {

void ValidateTextBatch(const TextBatch& batch, int vocab_size, int max_positions,
                       int type_vocab_size) {
  if (batch.batch_size < 1) {
    throw ModelError(fmt::format("text batch size is {}, expected at least 1", batch.batch_size));
  }
  if (batch.sequence_length < 1 || batch.sequence_length > max_positions) {
    throw ModelError(fmt::format("text sequence length is {}, expected 1 to {} tokens",
                                 batch.sequence_length, max_positions));
  }
  const size_t count = static_cast<size_t>(batch.batch_size) * batch.sequence_length;
  auto check_size = [&](std::span<const int64_t> values, const char* name, bool optional) {
    if (optional && values.empty()) return;
    if (values.size() != count) {
      throw ModelError(fmt::format("text {} has {} values, expected batch {} x length {} = {}",
                                   name, values.size(), batch.batch_size, batch.sequence_length,
                                   count));
    }
  };
  check_size(batch.input_ids, "input_ids", false);
  check_size(batch.attention_mask, "attention_mask", true);
  check_size(batch.token_type_ids, "token_type_ids", true);
  for (size_t i = 0; i < count; ++i) {
    if (batch.input_ids[i] < 0 || batch.input_ids[i] >= vocab_size) {
      throw ModelError(fmt::format("token id {} at index {} is outside the vocabulary [0, {})",
                                   batch.input_ids[i], i, vocab_size));
    }
  }
  for (size_t i = 0; i < batch.attention_mask.size(); ++i) {
    if (batch.attention_mask[i] != 0 && batch.attention_mask[i] != 1) {
      throw ModelError(fmt::format("attention_mask value {} at index {}, expected 0 or 1",
                                   batch.attention_mask[i], i));
    }
  }
  for (size_t i = 0; i < batch.token_type_ids.size(); ++i) {
    if (batch.token_type_ids[i] < 0 || batch.token_type_ids[i] >= type_vocab_size) {
      throw ModelError(fmt::format("token type id {} at index {} is outside [0, {})",
                                   batch.token_type_ids[i], i, type_vocab_size));
    }
  }
}

}  // namespace msearch::inference

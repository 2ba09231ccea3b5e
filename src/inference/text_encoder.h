#pragma once

#include "inference/model_outputs.h"
#include "inference/text_batch.h"
#include "inference/thread_pool.h"

namespace msearch::inference {

// A text tower: token ids in, projected text embeddings out.
class TextEncoder {
 public:
  virtual ~TextEncoder() = default;

  // Runs the batch and fills pooler_output and text_embeds, and
  // last_hidden_state when `with_hidden_states`. Throws ModelError when
  // ValidateTextBatch rejects the batch.
  virtual void Forward(ThreadPool& pool, const TextBatch& batch, bool with_hidden_states,
                       TextOutputs& outputs) = 0;

  // The minimum number of leading tokens of each text that give the same
  // text_embeds as the whole padded batch. Forward on a batch cut to this
  // length is cheaper. Returns batch.sequence_length when nothing can be cut.
  virtual int EffectiveLength(const TextBatch& batch) const = 0;

  virtual int max_positions() const = 0;
};

}  // namespace msearch::inference

#pragma once

#include "inference/tensor.h"

namespace msearch::inference {

// Outputs of an image tower for a batch of B images, named as in transformers.
// The embeddings are the raw projections, not L2-normalised.
struct VisionOutputs {
  Tensor embeddings_output;  // [B, tokens, width], before pre_layrnorm; only with hidden states
  Tensor last_hidden_state;  // [B, tokens, width], before post_layernorm; only with hidden states
  Tensor pooler_output;      // [B, width]: post_layernorm of the class token
  Tensor image_embeds;       // [B, projection_dim]
};

// Outputs of a text tower for B texts of L tokens.
struct TextOutputs {
  Tensor last_hidden_state;  // [B, L, width]; only with hidden states
  // [B, width]: the vector the projection takes. CLIP: final_layer_norm output
  // at the first end-of-text token; Chinese-CLIP: the [CLS] state (the model
  // has no pooler layer).
  Tensor pooler_output;
  Tensor text_embeds;  // [B, projection_dim]
};

// Outputs of the CLAP audio tower (HTSAT) for B inputs, named as in
// transformers. The embeddings are the raw projections, not L2-normalised.
struct AudioOutputs {
  // [B, channels, spec_size, spec_size]: input features after BatchNorm,
  // time interpolation and folding into a square image; only with hidden states.
  Tensor mel_image;
  Tensor patch_embeddings;  // [B, tokens, width] after the patch LayerNorm; only with hidden states
  Tensor last_hidden_state;  // [B, width, 2, 32] at the default sizes (the reference's permuted
                             // layout of the final 8x8 grid); only with hidden states
  Tensor pooler_output;      // [B, width]: mean of the final tokens after the last LayerNorm
  Tensor audio_embeds;       // [B, projection_dim]
};

}  // namespace msearch::inference

#pragma once

#include <string>
#include <vector>

#include "inference/attention.h"
#include "inference/linear.h"
#include "inference/model_config.h"
#include "inference/weight_store.h"
#include "inference/workspace.h"

namespace msearch::inference {

// Placement of the LayerNorms in each block.
enum class NormPlacement {
  kPreNorm,   // CLIP: x + attn(ln1(x)), then x + mlp(ln2(x))
  kPostNorm,  // BERT: ln1(x + attn(x)), then ln2(x + mlp(x))
};

// Parameter names of the two layouts in Hugging Face checkpoints.
enum class EncoderNaming {
  kClip,  // <prefix>.encoder.layers.N.self_attn.q_proj, layer_norm1, mlp.fc1, ...
  kBert,  // <prefix>.encoder.layer.N.attention.self.query, intermediate.dense, ...
};

struct EncoderLayerWeights {
  LinearLayer qkv;  // query, key and value side by side
  LinearLayer attention_output, intermediate, output;
  LayerNormWeights norm1;  // before attention (pre-norm) or after it (post-norm)
  LayerNormWeights norm2;  // before the MLP (pre-norm) or after it (post-norm)
};

// Scratch regions of one encoder pass, registered in a Workspace.
struct EncoderRegions {
  size_t normed = 0;        // [rows, width], pre-norm only
  size_t qkv = 0;           // [rows, 3 * width]
  size_t context = 0;       // [rows, width]
  size_t intermediate = 0;  // [rows, intermediate_size]
  size_t scores = 0;        // per thread AttentionScratchFloats(seq, head_dim)
};

// A stack of transformer encoder blocks sharing one EncoderConfig.
class TransformerEncoder {
 public:
  // Looks up every block's weights under `prefix` (e.g. "vision_model") and
  // checks their shapes against `config`. Throws ModelError on a missing or
  // mis-shaped tensor.
  TransformerEncoder(WeightStore& weights, const std::string& prefix, const EncoderConfig& config,
                     NormPlacement placement, EncoderNaming naming);

  // Adds the scratch regions for `batch` sequences of `length` tokens.
  EncoderRegions AddRegions(Workspace& workspace, int batch, int length, int threads) const;

  // Runs every block in place on `hidden` [batch * seq, width]. The masks in
  // `shape` apply to every block.
  //
  // With `output_positions` (one token position per sequence), only those
  // tokens' rows of `hidden` contain the encoder's output on return, and the
  // other rows contain the input of the last block. The last block then runs
  // its attention for those queries only (with every key and value), and
  // its output projection and MLP for those rows only. That changes none of
  // their values and saves most of one block, which is all a model that
  // pools one token, such as CLIP, needs. Only pre-norm blocks use it, and
  // post-norm ones compute every row.
  void Forward(ThreadPool& pool, const AttentionShape& shape, const Workspace& workspace,
               const EncoderRegions& regions, float* hidden,
               const int* output_positions = nullptr) const;

 private:
  // Runs the pre-norm block on every row, or with `output_positions` the last
  // block's shortened form (see Forward).
  void PreNormBlock(ThreadPool& pool, const AttentionShape& shape, const Workspace& workspace,
                    const EncoderRegions& regions, const EncoderLayerWeights& layer,
                    float* hidden) const;
  void PreNormBlockAt(ThreadPool& pool, const AttentionShape& shape, const Workspace& workspace,
                      const EncoderRegions& regions, const EncoderLayerWeights& layer,
                      const int* output_positions, float* hidden) const;

  EncoderConfig config_;
  NormPlacement placement_;
  std::vector<EncoderLayerWeights> layers_;
};

}  // namespace msearch::inference

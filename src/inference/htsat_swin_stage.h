#pragma once

#include <string>
#include <vector>

#include "inference/linear.h"
#include "inference/model_config.h"
#include "inference/thread_pool.h"
#include "inference/weight_store.h"
#include "inference/workspace.h"

namespace msearch::inference {

// Scratch buffers of a stage, sized by HtsatAudioEncoder for the largest
// stage. Each has room for rows * width floats except where noted.
struct SwinScratch {
  float* normed = nullptr;
  float* windows = nullptr;  // window-ordered rows; reused for the attention output
  float* qkv = nullptr;      // rows * 3 * width
  float* context = nullptr;  // rows * width
  // rows * mlp width; patch merging also puts its rows * width concatenation here.
  float* intermediate = nullptr;
  float* scores = nullptr;  // threads * window_tokens^2
};

// One stage of the HTSAT Swin transformer as transformers 4.27 runs it
// (ClapAudioStage). It has `depth` pre-norm blocks of windowed
// self-attention with a relative position bias: layernorm_before,
// attention, residual, layernorm_after, GELU MLP, residual. Every second
// block uses windows shifted by window_size / 2, with the -100 mask across
// the rolled edges, unless the grid is no larger than one window. Every
// stage but the last ends with patch merging: 2x2 neighbours concatenated,
// LayerNorm with eps 1e-5 and a Linear without bias, which halves the grid
// and doubles the width.
class SwinStage {
 public:
  // Loads audio_model.audio_encoder.layers.<stage>.* and checks shapes.
  // Throws ModelError on a missing or mis-shaped tensor, or when the grid
  // side is not a multiple of the window size.
  SwinStage(WeightStore& weights, const HtsatAudioConfig& config, int stage, int grid_side);

  int width() const { return width_; }
  int grid_side() const { return side_; }
  bool merges() const { return merge_reduction_.weight != nullptr; }

  // Runs the blocks in place on `hidden` [batch * side * side, width]; when
  // the stage merges, writes [batch * side^2 / 4, 2 * width] to `merged`.
  void Forward(ThreadPool& pool, int batch, float* hidden, float* merged,
               const SwinScratch& scratch) const;

 private:
  struct Block {
    LayerNormWeights norm_before, norm_after;
    LinearWeights query, key, value, attention_output, intermediate, output;
    std::vector<float> position_bias;  // [heads, N, N], N = window_size^2
    bool shifted = false;
  };

  void RunBlock(ThreadPool& pool, const Block& block, int batch, float* hidden,
                const SwinScratch& scratch) const;
  void Attention(ThreadPool& pool, const Block& block, int batch, const SwinScratch& scratch) const;
  void Merge(ThreadPool& pool, int batch, const float* hidden, float* merged,
             const SwinScratch& scratch) const;

  int width_;
  int heads_;
  int side_;
  int window_;
  int shift_;
  int mlp_width_;
  float eps_;
  Activation activation_;
  std::vector<Block> blocks_;
  // Row of the image grid for each window-ordered row of one image, without
  // and with the shift.
  std::vector<int> window_rows_;
  std::vector<int> shifted_window_rows_;
  std::vector<float> shift_mask_;  // [windows per image, N, N]: 0 or -100
  LayerNormWeights merge_norm_;
  LinearWeights merge_reduction_;
};

}  // namespace msearch::inference

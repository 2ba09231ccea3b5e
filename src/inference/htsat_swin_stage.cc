#include "inference/htsat_swin_stage.h"

#include <array>
#include <cmath>
#include <cstring>

#include <cblas.h>
#include <fmt/format.h>

#include "inference/htsat_kernels.h"
#include "inference/kernels.h"
#include "inference/model_error.h"

namespace msearch::inference {
namespace {

// transformers 4.27 fills masked pairs of a shifted window with this
// constant (not -inf), so their probability is tiny but not zero.
constexpr float kShiftMaskValue = -100.0f;

// Region of a coordinate of the rolled grid: the reference labels the
// slices [0, side - window), [side - window, side - shift), [side - shift,
// side) of each axis.
int ShiftRegion(int coordinate, int side, int window, int shift) {
  if (coordinate < side - window) return 0;
  if (coordinate < side - shift) return 1;
  return 2;
}

}  // namespace

SwinStage::SwinStage(WeightStore& weights, const HtsatAudioConfig& config, int stage, int grid_side)
    : width_(config.StageWidth(stage)),
      heads_(config.num_attention_heads[stage]),
      side_(grid_side),
      window_(config.window_size),
      shift_(config.window_size / 2),
      mlp_width_(static_cast<int>(config.StageWidth(stage) * config.mlp_ratio)),
      eps_(config.layer_norm_eps),
      activation_(config.hidden_act) {
  const std::string prefix = fmt::format("audio_model.audio_encoder.layers.{}", stage);
  // The reference shrinks the window to the grid and stops shifting when the
  // grid is no larger than one window. A grid smaller than the window would
  // need a smaller bias table than the checkpoints have, so it is rejected.
  if (side_ < window_ || side_ % window_ != 0) {
    throw ModelError(fmt::format(
        "audio_config: stage {} has a {}x{} token grid, which is not a multiple of window_size {}; "
        "spec_size / patch_size / 2^stage must be a multiple of window_size",
        stage, side_, side_, window_));
  }
  const bool can_shift = side_ > window_;
  const int tokens = window_ * window_;
  const int table_side = 2 * window_ - 1;
  for (int i = 0; i < config.depths[stage]; ++i) {
    const std::string block_prefix = fmt::format("{}.blocks.{}", prefix, i);
    Block block;
    block.norm_before = weights.LayerNorm(block_prefix + ".layernorm_before", width_);
    block.norm_after = weights.LayerNorm(block_prefix + ".layernorm_after", width_);
    const std::string attention = block_prefix + ".attention";
    block.query = weights.Linear(attention + ".self.query", width_, width_, config.qkv_bias);
    block.key = weights.Linear(attention + ".self.key", width_, width_, config.qkv_bias);
    block.value = weights.Linear(attention + ".self.value", width_, width_, config.qkv_bias);
    block.attention_output = weights.Linear(attention + ".output.dense", width_, width_);
    block.intermediate = weights.Linear(block_prefix + ".intermediate.dense", mlp_width_, width_);
    block.output = weights.Linear(block_prefix + ".output.dense", width_, mlp_width_);
    const float* table = weights.Get(attention + ".self.relative_position_bias_table",
                                     {table_side * table_side, heads_});
    // The index Swin derives from relative coordinates, equal to the
    // checkpoint's relative_position_index buffer.
    block.position_bias.resize(static_cast<size_t>(heads_) * tokens * tokens);
    for (int a = 0; a < tokens; ++a) {
      for (int b = 0; b < tokens; ++b) {
        const int dy = a / window_ - b / window_ + window_ - 1;
        const int dx = a % window_ - b % window_ + window_ - 1;
        const int index = dy * table_side + dx;
        for (int head = 0; head < heads_; ++head) {
          block.position_bias[(static_cast<size_t>(head) * tokens + a) * tokens + b] =
              table[index * heads_ + head];
        }
      }
    }
    block.shifted = can_shift && i % 2 == 1;
    blocks_.push_back(std::move(block));
  }

  const int windows_per_side = side_ / window_;
  const int image_rows = side_ * side_;
  window_rows_.resize(image_rows);
  shifted_window_rows_.resize(image_rows);
  shift_mask_.assign(static_cast<size_t>(windows_per_side) * windows_per_side * tokens * tokens,
                     0.0f);
  std::vector<int> regions(tokens);
  for (int wy = 0; wy < windows_per_side; ++wy) {
    for (int wx = 0; wx < windows_per_side; ++wx) {
      const int window_index = wy * windows_per_side + wx;
      for (int t = 0; t < tokens; ++t) {
        const int y = wy * window_ + t / window_;
        const int x = wx * window_ + t % window_;
        const int row = window_index * tokens + t;
        window_rows_[row] = y * side_ + x;
        // torch.roll by -shift: rolled[y][x] = grid[y + shift][x + shift].
        shifted_window_rows_[row] = ((y + shift_) % side_) * side_ + (x + shift_) % side_;
        regions[t] =
            ShiftRegion(y, side_, window_, shift_) * 3 + ShiftRegion(x, side_, window_, shift_);
      }
      float* mask = shift_mask_.data() + static_cast<size_t>(window_index) * tokens * tokens;
      for (int a = 0; a < tokens; ++a) {
        for (int b = 0; b < tokens; ++b) {
          if (regions[a] != regions[b]) mask[a * tokens + b] = kShiftMaskValue;
        }
      }
    }
  }

  if (stage + 1 < config.num_stages()) {
    merge_norm_ = weights.LayerNorm(prefix + ".downsample.norm", 4 * width_);
    merge_reduction_ = weights.Linear(prefix + ".downsample.reduction", 2 * width_, 4 * width_,
                                      /*with_bias=*/false);
  }
}

void SwinStage::Forward(ThreadPool& pool, int batch, float* hidden, float* merged,
                        const SwinScratch& scratch) const {
  for (const Block& block : blocks_) RunBlock(pool, block, batch, hidden, scratch);
  if (merges()) Merge(pool, batch, hidden, merged, scratch);
}

void SwinStage::RunBlock(ThreadPool& pool, const Block& block, int batch, float* hidden,
                         const SwinScratch& scratch) const {
  const int image_rows = side_ * side_;
  const int rows = batch * image_rows;
  const size_t row_bytes = sizeof(float) * width_;
  const std::vector<int>& order = block.shifted ? shifted_window_rows_ : window_rows_;

  LayerNorm(pool, hidden, width_, scratch.normed, width_, rows, width_, block.norm_before.gamma,
            block.norm_before.beta, eps_);
  pool.ParallelFor(batch, [&](int image) {
    const size_t base = static_cast<size_t>(image) * image_rows;
    for (int row = 0; row < image_rows; ++row) {
      std::memcpy(scratch.windows + (base + row) * width_,
                  scratch.normed + (base + order[row]) * width_, row_bytes);
    }
  });
  const std::array<LinearWeights, 3> projections = {block.query, block.key, block.value};
  TiledLinear(pool, scratch.windows, rows, width_, projections, scratch.qkv, 3 * width_);
  Attention(pool, block, batch, scratch);
  float* attention_output = scratch.windows;
  TiledLinear(pool, scratch.context, rows, width_, block.attention_output, attention_output,
              width_);
  // Window order back to grid order (undoing the roll) while adding the residual.
  pool.ParallelFor(batch, [&](int image) {
    const size_t base = static_cast<size_t>(image) * image_rows;
    for (int row = 0; row < image_rows; ++row) {
      float* target = hidden + (base + order[row]) * width_;
      const float* source = attention_output + (base + row) * width_;
      for (int c = 0; c < width_; ++c) target[c] += source[c];
    }
  });

  LayerNorm(pool, hidden, width_, scratch.normed, width_, rows, width_, block.norm_after.gamma,
            block.norm_after.beta, eps_);
  LinearOptions activated;
  activated.activation = activation_;
  TiledLinear(pool, scratch.normed, rows, width_, block.intermediate, scratch.intermediate,
              mlp_width_, activated);
  LinearOptions residual;
  residual.accumulate = true;
  TiledLinear(pool, scratch.intermediate, rows, mlp_width_, block.output, hidden, width_, residual);
}

void SwinStage::Attention(ThreadPool& pool, const Block& block, int batch,
                          const SwinScratch& scratch) const {
  const int tokens = window_ * window_;
  const int windows_per_image = (side_ / window_) * (side_ / window_);
  const int head_dim = width_ / heads_;
  const int qkv_stride = 3 * width_;
  // The reference divides q k^T by sqrt(head_dim); scaling inside sgemm
  // differs from that by at most one rounding.
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  const int tasks = batch * windows_per_image * heads_;
  pool.ParallelFor(tasks, [&](int task, int thread) {
    const int window = task / heads_;
    const int head = task % heads_;
    const float* query =
        scratch.qkv + static_cast<size_t>(window) * tokens * qkv_stride + head * head_dim;
    const float* key = query + width_;
    const float* value = key + width_;
    float* scores = scratch.scores + static_cast<size_t>(thread) * tokens * tokens;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, tokens, tokens, head_dim, scale, query,
                qkv_stride, key, qkv_stride, 0.0f, scores, tokens);
    const float* bias = block.position_bias.data() + static_cast<size_t>(head) * tokens * tokens;
    const float* mask =
        block.shifted
            ? shift_mask_.data() + static_cast<size_t>(window % windows_per_image) * tokens * tokens
            : nullptr;
    for (int a = 0; a < tokens; ++a) {
      float* row = scores + static_cast<size_t>(a) * tokens;
      const float* bias_row = bias + static_cast<size_t>(a) * tokens;
      for (int b = 0; b < tokens; ++b) row[b] += bias_row[b];
      if (mask != nullptr) {
        const float* mask_row = mask + static_cast<size_t>(a) * tokens;
        for (int b = 0; b < tokens; ++b) row[b] += mask_row[b];
      }
      SoftmaxRow(row, tokens);
    }
    float* out = scratch.context + static_cast<size_t>(window) * tokens * width_ + head * head_dim;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, tokens, head_dim, tokens, 1.0f, scores,
                tokens, value, qkv_stride, 0.0f, out, width_);
  });
}

void SwinStage::Merge(ThreadPool& pool, int batch, const float* hidden, float* merged,
                      const SwinScratch& scratch) const {
  const int half = side_ / 2;
  const int out_rows = batch * half * half;
  const size_t row_bytes = sizeof(float) * width_;
  float* concatenated = scratch.intermediate;
  // Neighbour order of the reference: (even row, even col), (odd row, even
  // col), (even row, odd col), (odd row, odd col).
  constexpr int kOffsets[4][2] = {{0, 0}, {1, 0}, {0, 1}, {1, 1}};
  pool.ParallelFor(batch, [&](int image) {
    const float* grid = hidden + static_cast<size_t>(image) * side_ * side_ * width_;
    for (int y = 0; y < half; ++y) {
      for (int x = 0; x < half; ++x) {
        float* out =
            concatenated + ((static_cast<size_t>(image) * half + y) * half + x) * 4 * width_;
        for (int k = 0; k < 4; ++k) {
          const int source = (2 * y + kOffsets[k][0]) * side_ + 2 * x + kOffsets[k][1];
          std::memcpy(out + k * width_, grid + static_cast<size_t>(source) * width_, row_bytes);
        }
      }
    }
  });
  LayerNorm(pool, concatenated, 4 * width_, concatenated, 4 * width_, out_rows, 4 * width_,
            merge_norm_.gamma, merge_norm_.beta, 1e-5f);
  TiledLinear(pool, concatenated, out_rows, 4 * width_, merge_reduction_, merged, 2 * width_);
}

}  // namespace msearch::inference

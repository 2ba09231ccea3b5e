#include "inference/htsat_fusion.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "inference/model_error.h"

namespace msearch::inference {
namespace {

constexpr const char* kPrefix = "audio_model.audio_encoder.patch_embed";
constexpr int kLocalChannels = 3;

void ApplyBatchNorm(const BatchNormAffine& norm, float* row, int width, bool relu) {
  for (int c = 0; c < width; ++c) {
    float value = row[c] * norm.scale[c] + norm.shift[c];
    row[c] = relu && value < 0.0f ? 0.0f : value;
  }
}

}  // namespace

HtsatFusion::HtsatFusion(WeightStore& weights, const HtsatAudioConfig& config)
    : width_(config.patch_embeds_hidden_size),
      inner_width_(config.patch_embeds_hidden_size / config.aff_block_r),
      spec_(config.spec_size),
      patch_(config.patch_size),
      side_(config.spec_size / config.patch_stride) {
  if (inner_width_ < 1) {
    throw ModelError("audio_config: aff_block_r exceeds patch_embeds_hidden_size");
  }
  const std::string prefix = kPrefix;
  local_conv_.weight = weights.Get(prefix + ".mel_conv2d.weight", {width_, 1, patch_, 3 * patch_});
  local_conv_.bias = weights.Get(prefix + ".mel_conv2d.bias", {width_});
  local_conv_.out_features = width_;
  local_conv_.in_features = 3 * patch_ * patch_;
  const std::string fusion = prefix + ".fusion_model";
  auto conv = [&](const std::string& name, int out, int in) {
    LinearWeights linear;
    linear.weight = weights.Get(name + ".weight", {out, in, 1, 1});
    linear.bias = weights.Get(name + ".bias", {out});
    linear.out_features = out;
    linear.in_features = in;
    return linear;
  };
  local_att_[0] = conv(fusion + ".local_att.0", inner_width_, width_);
  local_norm_[0] = LoadBatchNorm(weights, fusion + ".local_att.1", inner_width_);
  local_att_[1] = conv(fusion + ".local_att.3", width_, inner_width_);
  local_norm_[1] = LoadBatchNorm(weights, fusion + ".local_att.4", width_);
  global_att_[0] = conv(fusion + ".global_att.1", inner_width_, width_);
  global_norm_[0] = LoadBatchNorm(weights, fusion + ".global_att.2", inner_width_);
  global_att_[1] = conv(fusion + ".global_att.4", width_, inner_width_);
  global_norm_[1] = LoadBatchNorm(weights, fusion + ".global_att.5", width_);
}

size_t HtsatFusion::scratch_floats() const {
  return static_cast<size_t>(side_) * side_ * std::max(width_, 3 * patch_ * patch_);
}

void HtsatFusion::Apply(ThreadPool& pool, const float* mel_image, float* global, float* local,
                        float* scratch) const {
  const int rows = side_ * side_;
  const int kernel_width = 3 * patch_;
  const int local_columns = spec_ / kernel_width;  // output width of mel_conv2d per channel
  const int patch_values = patch_ * kernel_width;
  const size_t plane = static_cast<size_t>(spec_) * spec_;

  // Local path: im2col of channels 1..3 into `scratch`, then one matrix product.
  std::fill(local, local + static_cast<size_t>(rows) * width_, 0.0f);
  const int filled_columns = std::min(side_, kLocalChannels * local_columns);
  pool.ParallelFor(side_, [&](int y) {
    for (int x = 0; x < filled_columns; ++x) {
      const int channel = 1 + x / local_columns;
      const int column = x % local_columns;
      float* out = scratch + (static_cast<size_t>(y) * side_ + x) * patch_values;
      const float* image = mel_image + channel * plane;
      for (int ky = 0; ky < patch_; ++ky) {
        const float* source =
            image + static_cast<size_t>(y * patch_ + ky) * spec_ + column * kernel_width;
        std::copy(source, source + kernel_width, out + ky * kernel_width);
      }
    }
  });
  for (int y = 0; y < side_; ++y) {
    Linear(pool, scratch + static_cast<size_t>(y) * side_ * patch_values, filled_columns,
           patch_values, local_conv_, local + static_cast<size_t>(y) * side_ * width_, width_);
  }

  // Attentional feature fusion on x = global, r = local.
  float* sum = scratch;
  std::vector<double> mean(width_, 0.0);
  for (int row = 0; row < rows; ++row) {
    for (int c = 0; c < width_; ++c) {
      const size_t i = static_cast<size_t>(row) * width_ + c;
      sum[i] = global[i] + local[i];
      mean[c] += sum[i];
    }
  }
  std::vector<float> pooled(width_);
  for (int c = 0; c < width_; ++c) pooled[c] = static_cast<float>(mean[c] / rows);
  std::vector<float> pooled_inner(inner_width_);
  std::vector<float> global_weight(width_);
  Linear(pool, pooled.data(), 1, width_, global_att_[0], pooled_inner.data(), inner_width_);
  ApplyBatchNorm(global_norm_[0], pooled_inner.data(), inner_width_, /*relu=*/true);
  Linear(pool, pooled_inner.data(), 1, inner_width_, global_att_[1], global_weight.data(), width_);
  ApplyBatchNorm(global_norm_[1], global_weight.data(), width_, /*relu=*/false);

  pool.ParallelFor(side_, [&](int y) {
    std::vector<float> inner(inner_width_);
    std::vector<float> weight(width_);
    for (int x = 0; x < side_; ++x) {
      const size_t base = (static_cast<size_t>(y) * side_ + x) * width_;
      for (int o = 0; o < inner_width_; ++o) {
        float value = local_att_[0].bias[o];
        const float* w = local_att_[0].weight + static_cast<size_t>(o) * width_;
        for (int c = 0; c < width_; ++c) value += w[c] * sum[base + c];
        inner[o] = value;
      }
      ApplyBatchNorm(local_norm_[0], inner.data(), inner_width_, /*relu=*/true);
      for (int o = 0; o < width_; ++o) {
        float value = local_att_[1].bias[o];
        const float* w = local_att_[1].weight + static_cast<size_t>(o) * inner_width_;
        for (int c = 0; c < inner_width_; ++c) value += w[c] * inner[c];
        weight[o] = value;
      }
      ApplyBatchNorm(local_norm_[1], weight.data(), width_, /*relu=*/false);
      for (int c = 0; c < width_; ++c) {
        const float gate = 1.0f / (1.0f + std::exp(-(weight[c] + global_weight[c])));
        global[base + c] = 2.0f * global[base + c] * gate + 2.0f * local[base + c] * (1.0f - gate);
      }
    }
  });
}

}  // namespace msearch::inference

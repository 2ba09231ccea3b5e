#include "inference/htsat_audio_encoder.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include <fmt/format.h>

#include "inference/kernels.h"
#include "inference/model_error.h"

namespace msearch::inference {
namespace {

constexpr const char* kPrefix = "audio_model.audio_encoder";

// PyTorch's bicubic convolution coefficient (upsample_bicubic2d).
constexpr float kCubicA = -0.75f;

float CubicNear(float x) { return ((kCubicA + 2.0f) * x - (kCubicA + 3.0f)) * x * x + 1.0f; }

float CubicFar(float x) {
  return ((kCubicA * x - 5.0f * kCubicA) * x + 8.0f * kCubicA) * x - 4.0f * kCubicA;
}

// LayerNorms of the patch embedding, patch merging and the final norm are
// built without an eps argument in the reference, so they use PyTorch's
// default whatever layer_norm_eps the config sets.
constexpr float kDefaultLayerNormEps = 1e-5f;

}  // namespace

HtsatAudioEncoder::HtsatAudioEncoder(WeightStore& weights, const HtsatAudioConfig& config,
                                     int projection_dim, Activation projection_activation)
    : config_(config),
      projection_dim_(projection_dim),
      freq_ratio_(config.spec_size / config.num_mel_bins),
      grid_side_(config.spec_size / config.patch_stride) {
  spec_width_ = config.spec_size * freq_ratio_;
  const std::string prefix = kPrefix;
  const int width = config.patch_embeds_hidden_size;
  if (config.spec_size % config.patch_size != 0) {
    throw ModelError(fmt::format("audio_config: spec_size {} is not a multiple of patch_size {}",
                                 config.spec_size, config.patch_size));
  }
  if (config.patch_embed_input_channels != 1) {
    throw ModelError(fmt::format(
        "audio_config.patch_embed_input_channels is {}; only 1 (mono mel features) is supported",
        config.patch_embed_input_channels));
  }
  const int final_side = grid_side_ >> (config.num_stages() - 1);
  if (final_side < freq_ratio_ || final_side % freq_ratio_ != 0) {
    throw ModelError(
        fmt::format("audio_config: the final {}x{} token grid cannot be grouped into spec_size / "
                    "num_mel_bins = {} frequency bands as the reference does",
                    final_side, final_side, freq_ratio_));
  }

  input_norm_ = LoadBatchNorm(weights, prefix + ".batch_norm", config.num_mel_bins);
  const int patch = config.patch_size;
  patch_projection_.weight =
      weights.Get(prefix + ".patch_embed.proj.weight", {width, 1, patch, patch});
  patch_projection_.bias = weights.Get(prefix + ".patch_embed.proj.bias", {width});
  patch_projection_.out_features = width;
  patch_projection_.in_features = patch * patch;
  if (config.enable_patch_layer_norm) {
    patch_norm_ = weights.LayerNorm(prefix + ".patch_embed.norm", width);
  }
  if (config.enable_fusion) fusion_ = std::make_unique<HtsatFusion>(weights, config);
  for (int stage = 0; stage < config.num_stages(); ++stage) {
    stages_.emplace_back(weights, config, stage, grid_side_ >> stage);
  }
  final_norm_ = weights.LayerNorm(prefix + ".norm", config.hidden_size);
  projection_ = ClapProjection(weights, "audio_projection", config.hidden_size, projection_dim,
                               projection_activation);
}

const HtsatAudioEncoder::Interpolation& HtsatAudioEncoder::InterpolationFor(int frames) {
  if (interpolation_.frames == frames) return interpolation_;
  Interpolation& plan = interpolation_;
  plan.frames = frames;
  plan.first.assign(spec_width_, 0);
  plan.coefficients.assign(static_cast<size_t>(spec_width_) * 4, 0.0f);
  // align_corners=True: source = t * (frames - 1) / (spec_width - 1), with the
  // scale and the product in float32 as PyTorch computes them on the CPU.
  const float scale = static_cast<float>(frames - 1) / static_cast<float>(spec_width_ - 1);
  for (int t = 0; t < spec_width_; ++t) {
    const float source = scale * static_cast<float>(t);
    const int index = std::min(static_cast<int>(std::floor(source)), frames - 1);
    const float fraction = std::clamp(source - static_cast<float>(index), 0.0f, 1.0f);
    plan.first[t] = index - 1;
    float* c = plan.coefficients.data() + static_cast<size_t>(t) * 4;
    c[0] = CubicFar(fraction + 1.0f);
    c[1] = CubicNear(fraction);
    c[2] = CubicNear(1.0f - fraction);
    c[3] = CubicFar(2.0f - fraction);
  }
  return plan;
}

void HtsatAudioEncoder::BuildMelImage(const float* features, int channels, int frames,
                                      float* image) {
  const int mel = config_.num_mel_bins;
  const int spec = config_.spec_size;
  const size_t plane = static_cast<size_t>(spec) * spec;
  spectrum_.resize(static_cast<size_t>(spec_width_) * mel);
  std::vector<float> normalized(static_cast<size_t>(frames) * mel);
  for (int channel = 0; channel < image_channels(); ++channel) {
    const float* input =
        features + static_cast<size_t>(std::min(channel, channels - 1)) * frames * mel;
    for (int f = 0; f < frames; ++f) {
      for (int m = 0; m < mel; ++m) {
        const size_t i = static_cast<size_t>(f) * mel + m;
        normalized[i] = input[i] * input_norm_.scale[m] + input_norm_.shift[m];
      }
    }
    if (frames == spec_width_) {
      spectrum_.assign(normalized.begin(), normalized.end());
    } else {
      const Interpolation& plan = InterpolationFor(frames);
      for (int t = 0; t < spec_width_; ++t) {
        const float* c = plan.coefficients.data() + static_cast<size_t>(t) * 4;
        const float* rows[4];
        for (int k = 0; k < 4; ++k) {
          const int source = std::clamp(plan.first[t] + k, 0, frames - 1);
          rows[k] = normalized.data() + static_cast<size_t>(source) * mel;
        }
        float* out = spectrum_.data() + static_cast<size_t>(t) * mel;
        for (int m = 0; m < mel; ++m) {
          out[m] = rows[0][m] * c[0] + rows[1][m] * c[1] + rows[2][m] * c[2] + rows[3][m] * c[3];
        }
      }
    }
    // image[band * mel + m][t] = spectrum[band * spec + t][m]: the time axis
    // is cut into freq_ratio bands stacked along the frequency axis.
    float* out = image + channel * plane;
    for (int band = 0; band < freq_ratio_; ++band) {
      for (int t = 0; t < spec; ++t) {
        const float* source = spectrum_.data() + (static_cast<size_t>(band) * spec + t) * mel;
        for (int m = 0; m < mel; ++m) {
          out[static_cast<size_t>(band * mel + m) * spec + t] = source[m];
        }
      }
    }
  }
}

void HtsatAudioEncoder::EmbedPatches(ThreadPool& pool, int batch, const float* images,
                                     float* patches, float* hidden) const {
  const int patch = config_.patch_size;
  const int spec = config_.spec_size;
  const int tokens = grid_side_ * grid_side_;
  const size_t image_floats = static_cast<size_t>(image_channels()) * spec * spec;
  pool.ParallelFor(batch * grid_side_, [&](int task) {
    const int image = task / grid_side_;
    const int y = task % grid_side_;
    const float* channel0 = images + image * image_floats;
    for (int x = 0; x < grid_side_; ++x) {
      float* out = patches +
                   ((static_cast<size_t>(image) * grid_side_ + y) * grid_side_ + x) * patch * patch;
      for (int ky = 0; ky < patch; ++ky) {
        const float* source = channel0 + static_cast<size_t>(y * patch + ky) * spec + x * patch;
        std::copy(source, source + patch, out + ky * patch);
      }
    }
  });
  TiledLinear(pool, patches, batch * tokens, patch * patch, patch_projection_, hidden,
              config_.patch_embeds_hidden_size);
}

void HtsatAudioEncoder::Forward(ThreadPool& pool, std::span<const float> features, int batch,
                                int channels, int frames, bool with_hidden_states,
                                AudioOutputs& outputs) {
  const int mel = config_.num_mel_bins;
  const bool channels_ok = channels == 1 || (config_.enable_fusion && channels == 4);
  if (batch < 1 || !channels_ok || frames < 2 || frames > spec_width_ ||
      features.size() != static_cast<size_t>(batch) * channels * frames * mel) {
    throw ModelError(fmt::format(
        "audio features of {} values for batch {}, {} channels, {} frames are invalid: expected "
        "[batch, {}, frames, {}] with 2 to {} frames",
        features.size(), batch, channels, frames, config_.enable_fusion ? "1 or 4" : "1", mel,
        spec_width_));
  }
  for (float value : features) {
    if (!std::isfinite(value)) {
      throw ModelError("audio features contain a NaN or infinite value; recompute them");
    }
  }

  const int spec = config_.spec_size;
  const int tokens = grid_side_ * grid_side_;
  const int width = config_.patch_embeds_hidden_size;
  const size_t rows = static_cast<size_t>(batch) * tokens;
  const size_t image_floats = static_cast<size_t>(image_channels()) * spec * spec;
  const int mlp_width = static_cast<int>(width * config_.mlp_ratio);
  const int window_tokens = config_.window_size * config_.window_size;

  workspace_.BeginLayout();
  const size_t images_region = workspace_.Add(batch * image_floats);
  const size_t patches_region = workspace_.Add(rows * config_.patch_size * config_.patch_size);
  const size_t hidden_a = workspace_.Add(rows * width);
  const size_t hidden_b = workspace_.Add(rows * width);
  const size_t normed = workspace_.Add(rows * width);
  const size_t windows = workspace_.Add(rows * width);
  const size_t qkv = workspace_.Add(rows * 3 * width);
  const size_t context = workspace_.Add(rows * width);
  const size_t intermediate = workspace_.Add(rows * std::max(mlp_width, width));
  const size_t scores =
      workspace_.Add(static_cast<size_t>(pool.num_threads()) * window_tokens * window_tokens);
  const size_t fusion_local = fusion_ ? workspace_.Add(static_cast<size_t>(tokens) * width) : 0;
  const size_t fusion_scratch = fusion_ ? workspace_.Add(fusion_->scratch_floats()) : 0;
  workspace_.Commit();

  float* images = workspace_.Get(images_region);
  const size_t input_floats = static_cast<size_t>(channels) * frames * mel;
  for (int image = 0; image < batch; ++image) {
    BuildMelImage(features.data() + image * input_floats, channels, frames,
                  images + image * image_floats);
  }
  float* hidden = workspace_.Get(hidden_a);
  EmbedPatches(pool, batch, images, workspace_.Get(patches_region), hidden);
  if (fusion_) {
    for (int image = 0; image < batch; ++image) {
      fusion_->Apply(pool, images + image * image_floats,
                     hidden + static_cast<size_t>(image) * tokens * width,
                     workspace_.Get(fusion_local), workspace_.Get(fusion_scratch));
    }
  }
  if (config_.enable_patch_layer_norm) {
    LayerNorm(pool, hidden, width, hidden, width, static_cast<int>(rows), width, patch_norm_.gamma,
              patch_norm_.beta, kDefaultLayerNormEps);
  }
  if (with_hidden_states) {
    outputs.mel_image = Tensor({batch, image_channels(), spec, spec});
    std::memcpy(outputs.mel_image.data(), images, sizeof(float) * batch * image_floats);
    outputs.patch_embeddings = Tensor({batch, tokens, width});
    std::memcpy(outputs.patch_embeddings.data(), hidden, sizeof(float) * rows * width);
  }

  SwinScratch scratch;
  scratch.normed = workspace_.Get(normed);
  scratch.windows = workspace_.Get(windows);
  scratch.qkv = workspace_.Get(qkv);
  scratch.context = workspace_.Get(context);
  scratch.intermediate = workspace_.Get(intermediate);
  scratch.scores = workspace_.Get(scores);
  float* other = workspace_.Get(hidden_b);
  for (const SwinStage& stage : stages_) {
    stage.Forward(pool, batch, hidden, other, scratch);
    if (stage.merges()) std::swap(hidden, other);
  }
  WriteOutputs(pool, batch, hidden, with_hidden_states, outputs);
}

void HtsatAudioEncoder::WriteOutputs(ThreadPool& pool, int batch, const float* final_tokens,
                                     bool with_hidden_states, AudioOutputs& outputs) const {
  const int side = stages_.back().grid_side();
  const int tokens = side * side;
  const int width = config_.hidden_size;
  std::vector<float> normed(static_cast<size_t>(batch) * tokens * width);
  LayerNorm(pool, final_tokens, width, normed.data(), width, batch * tokens, width,
            final_norm_.gamma, final_norm_.beta, kDefaultLayerNormEps);

  outputs.pooler_output = Tensor({batch, width});
  for (int image = 0; image < batch; ++image) {
    float* pooled = outputs.pooler_output.row(image).data();
    for (int c = 0; c < width; ++c) {
      double sum = 0;
      for (int t = 0; t < tokens; ++t) {
        sum += normed[(static_cast<size_t>(image) * tokens + t) * width + c];
      }
      pooled[c] = static_cast<float>(sum / tokens);
    }
  }
  if (with_hidden_states) {
    // The reference reshapes the [width, side, side] grid to [width, side /
    // band, band, side] (band = side / freq_ratio), swaps the two middle axes
    // and flattens: out[c][j][i * side + x] = grid[c][i * band + j][x].
    const int band = side / freq_ratio_;
    const int groups = side / band;
    outputs.last_hidden_state = Tensor({batch, width, band, groups * side});
    for (int image = 0; image < batch; ++image) {
      float* out = outputs.last_hidden_state.row(image).data();
      for (int c = 0; c < width; ++c) {
        for (int j = 0; j < band; ++j) {
          for (int i = 0; i < groups; ++i) {
            for (int x = 0; x < side; ++x) {
              const int token = (i * band + j) * side + x;
              out[((static_cast<size_t>(c) * band + j) * groups + i) * side + x] =
                  normed[(static_cast<size_t>(image) * tokens + token) * width + c];
            }
          }
        }
      }
    }
  }
  outputs.audio_embeds = Tensor({batch, projection_dim_});
  projection_.Apply(pool, outputs.pooler_output.data(), batch, outputs.audio_embeds.data());
}

}  // namespace msearch::inference

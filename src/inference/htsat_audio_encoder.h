#pragma once

#include <memory>
#include <span>
#include <vector>

#include "inference/clap_projection.h"
#include "inference/htsat_fusion.h"
#include "inference/htsat_kernels.h"
#include "inference/htsat_swin_stage.h"
#include "inference/model_config.h"
#include "inference/model_outputs.h"
#include "inference/thread_pool.h"
#include "inference/weight_store.h"
#include "inference/workspace.h"

namespace msearch::inference {

// The HTSAT audio tower of ClapModel as transformers 4.27 runs it, from
// log-mel features to the projected audio embedding: BatchNorm over the mel
// bins (running statistics, eps 1e-5), bicubic interpolation of the time axis
// to spec_size * (spec_size / num_mel_bins) frames (align_corners, A = -0.75,
// float32 source coordinates as PyTorch computes them), folding into a square
// mel image, 4x4 patch embedding with LayerNorm (eps 1e-5), the fusion path
// when enabled, the Swin stages, the final LayerNorm (eps 1e-5), mean
// pooling, and audio_projection (Linear, activation, Linear).
class HtsatAudioEncoder {
 public:
  // Loads audio_model.audio_encoder.* and audio_projection.*, checking every
  // shape against `config`. Throws ModelError on a mismatch or on sizes the
  // encoder cannot run.
  HtsatAudioEncoder(WeightStore& weights, const HtsatAudioConfig& config, int projection_dim,
                    Activation projection_activation);

  // Runs `batch` inputs of `features` [batch, channels, frames, num_mel_bins]
  // (frames from 2 to spec_size * spec_size / num_mel_bins). Non-fused
  // models take 1 channel. Fused models take 4 channels or 1, which stands
  // for 4 identical copies, and run the fusion path for every input, as the
  // reference does for one input of at most 10 s. Throws ModelError on any
  // other shape or a non-finite value.
  void Forward(ThreadPool& pool, std::span<const float> features, int batch, int channels,
               int frames, bool with_hidden_states, AudioOutputs& outputs);

  // Channels of the mel image (4 with fusion, else 1).
  int image_channels() const { return config_.enable_fusion ? 4 : 1; }
  const HtsatAudioConfig& config() const { return config_; }

 private:
  struct Interpolation {
    int frames = 0;
    std::vector<int> first;           // per output frame: source frame of coefficient 0
    std::vector<float> coefficients;  // per output frame: 4 weights
  };

  void BuildMelImage(const float* features, int channels, int frames, float* image);
  const Interpolation& InterpolationFor(int frames);
  void EmbedPatches(ThreadPool& pool, int batch, const float* images, float* patches,
                    float* hidden) const;
  void WriteOutputs(ThreadPool& pool, int batch, const float* final_tokens, bool with_hidden_states,
                    AudioOutputs& outputs) const;

  HtsatAudioConfig config_;
  int projection_dim_;
  int spec_width_;  // frames after interpolation
  int freq_ratio_;  // spec_size / num_mel_bins
  int grid_side_;   // tokens per side after the patch embedding
  BatchNormAffine input_norm_;
  LinearWeights patch_projection_;  // Conv2d as [width, channels * patch^2]
  LayerNormWeights patch_norm_;
  LayerNormWeights final_norm_;
  std::unique_ptr<HtsatFusion> fusion_;
  std::vector<SwinStage> stages_;
  ClapProjection projection_;
  Interpolation interpolation_;
  std::vector<float> spectrum_;  // one channel's normalised, interpolated features
  Workspace workspace_;
};

}  // namespace msearch::inference

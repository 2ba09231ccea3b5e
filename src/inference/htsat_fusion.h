#pragma once

#include "inference/htsat_kernels.h"
#include "inference/model_config.h"
#include "inference/thread_pool.h"
#include "inference/weight_store.h"

namespace msearch::inference {

// The feature-fusion path of fused HTSAT checkpoints (enable_fusion). The
// three local mel channels go through patch_embed.mel_conv2d, whose kernel
// and stride are patch x 3 patch. Their outputs are laid side by side along
// the time axis and zero-padded to the grid width. The attentional feature
// fusion block (patch_embed.fusion_model, 1x1 convolutions with BatchNorm)
// then merges them with the global patch embeddings:
//   w = sigmoid(local_att(x + r) + global_att(mean(x + r)))
//   out = 2 x w + 2 r (1 - w).
// NOTE: no reference outputs of a fused checkpoint were available, so this
// path is tested only for running and for changing the patch embeddings.
class HtsatFusion {
 public:
  // Loads patch_embed.mel_conv2d and patch_embed.fusion_model.*. Throws
  // ModelError on a missing or mis-shaped tensor.
  HtsatFusion(WeightStore& weights, const HtsatAudioConfig& config);

  // Fuses one image in place: `global` [side * side, width] are the patch
  // embeddings of channel 0 before their LayerNorm, and `mel_image` points at
  // channel 0 of a [channels >= 4, spec, spec] mel image. `local` must hold
  // side * side * width floats and `scratch` scratch_floats().
  void Apply(ThreadPool& pool, const float* mel_image, float* global, float* local,
             float* scratch) const;

  size_t scratch_floats() const;

 private:
  int width_;
  int inner_width_;
  int spec_;
  int patch_;
  int side_;
  LinearWeights local_conv_;  // mel_conv2d as [width, patch * 3 patch]
  LinearWeights local_att_[2];
  BatchNormAffine local_norm_[2];
  LinearWeights global_att_[2];
  BatchNormAffine global_norm_[2];
};

}  // namespace msearch::inference

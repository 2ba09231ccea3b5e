#pragma once

#include <optional>

#include "inference/activation.h"

namespace msearch::inference {

// A linear layer in the PyTorch layout: `weight` is [out_features,
// in_features] row-major, `bias` is [out_features] or nullptr.
struct LinearWeights {
  const float* weight = nullptr;
  const float* bias = nullptr;
  int out_features = 0;
  int in_features = 0;
};

struct LinearOptions {
  // Adds the result to `output` instead of overwriting it (a fused residual).
  bool accumulate = false;
  // Activation applied after the bias. Not allowed with `accumulate`.
  std::optional<Activation> activation;
};

}  // namespace msearch::inference

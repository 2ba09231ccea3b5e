#pragma once

#include <cstdint>
#include <filesystem>

#include "inference/dtype.h"
#include "inference/model_config.h"

namespace msearch::inference {

// Writes `dir`/config.json and `dir`/model.safetensors for `config` with
// seeded random weights, drawn as the test fixtures draw theirs. Linear and
// Conv2d weights are N(0, 1/fan_in), biases N(0, 0.1), embeddings N(0, 0.05),
// LayerNorm gains 1 + N(0, 0.2) and biases N(0, 0.1), logit_scale U(2.4, 3.2);
// for CLAP also Swin position bias tables N(0, 0.5), the input BatchNorm's
// running mean U(-60, -20) and variance U(150, 600), other BatchNorms'
// running mean N(0, 0.1) and variance U(0.5, 1.5).
// Float tensors are stored as `dtype` (F32, F16 or BF16), and the same seed
// gives the same bytes. Creates `dir` if needed. Throws ModelError when a file
// cannot be written.
void WriteRandomCheckpoint(const std::filesystem::path& dir, const ModelConfig& config,
                           uint64_t seed, DType dtype = DType::kF32);

}  // namespace msearch::inference

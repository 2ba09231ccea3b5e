#include "inference/random_checkpoint.h"

#include <cmath>
#include <cstring>
#include <fstream>
#include <numbers>
#include <vector>

#include <fmt/format.h>

#include "inference/checkpoint_layout.h"
#include "inference/float16.h"
#include "inference/model_error.h"
#include "inference/safetensors_writer.h"

namespace msearch::inference {
namespace {

// splitmix64: fast, seedable, and good enough for random weights.
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}

  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }

  // Uniform in (0, 1].
  double Uniform() { return (static_cast<double>(Next() >> 11) + 1.0) * 0x1.0p-53; }

  // Standard normal by Box-Muller.
  double Normal() {
    return std::sqrt(-2.0 * std::log(Uniform())) * std::cos(2.0 * std::numbers::pi * Uniform());
  }

 private:
  uint64_t state_;
};

uint64_t NameHash(const std::string& name) {
  uint64_t hash = 1469598103934665603ull;  // FNV-1a
  for (char c : name) hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return hash;
}

float Draw(const TensorSpec& spec, Random& random) {
  switch (spec.role) {
    case TensorRole::kWeight: {
      int64_t fan_in = 1;
      for (size_t i = 1; i < spec.shape.size(); ++i) fan_in *= spec.shape[i];
      return static_cast<float>(random.Normal() / std::sqrt(static_cast<double>(fan_in)));
    }
    case TensorRole::kBias:
    case TensorRole::kNormBias:
      return static_cast<float>(0.1 * random.Normal());
    case TensorRole::kNormWeight:
      return static_cast<float>(1.0 + 0.2 * random.Normal());
    case TensorRole::kEmbedding:
      return static_cast<float>(0.05 * random.Normal());
    case TensorRole::kLogitScale:
      return static_cast<float>(2.4 + 0.8 * random.Uniform());
    case TensorRole::kBatchNormMean:
      return static_cast<float>(0.1 * random.Normal());
    case TensorRole::kBatchNormVariance:
      return static_cast<float>(0.5 + random.Uniform());
    case TensorRole::kMelMean:
      return static_cast<float>(-60.0 + 40.0 * random.Uniform());
    case TensorRole::kMelVariance:
      return static_cast<float>(150.0 + 450.0 * random.Uniform());
    case TensorRole::kPositionBias:
      return static_cast<float>(0.5 * random.Normal());
    case TensorRole::kPositionIds:
      break;
  }
  return 0.0f;
}

}  // namespace

void WriteRandomCheckpoint(const std::filesystem::path& dir, const ModelConfig& config,
                           uint64_t seed, DType dtype) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) {
    throw ModelError(fmt::format("cannot create '{}': {}", dir.string(), error.message()));
  }
  {
    const std::filesystem::path config_path = dir / "config.json";
    std::ofstream file(config_path);
    file << ConfigToJson(config).dump(2) << '\n';
    if (!file) throw ModelError(fmt::format("cannot write '{}'", config_path.string()));
  }

  std::vector<TensorToWrite> tensors;
  for (const TensorSpec& spec : CheckpointLayout(config)) {
    TensorToWrite tensor;
    tensor.name = spec.name;
    tensor.shape = spec.shape;
    if (spec.role == TensorRole::kPositionIds) {
      tensor.dtype = DType::kI64;
      tensor.fill = [](std::span<std::byte> out) {
        for (size_t i = 0; i < out.size() / sizeof(int64_t); ++i) {
          int64_t value = static_cast<int64_t>(i);
          std::memcpy(out.data() + i * sizeof(int64_t), &value, sizeof(value));
        }
      };
    } else {
      tensor.dtype = dtype;
      // Each tensor has its own stream, so its values do not depend on the
      // order of the others.
      tensor.fill = [spec, dtype, stream = seed ^ NameHash(spec.name)](std::span<std::byte> out) {
        Random random(stream);
        const size_t count = out.size() / DTypeSize(dtype);
        for (size_t i = 0; i < count; ++i) {
          float value = Draw(spec, random);
          if (dtype == DType::kF32) {
            std::memcpy(out.data() + 4 * i, &value, 4);
          } else {
            uint16_t bits = dtype == DType::kF16 ? FloatToHalf(value) : FloatToBFloat16(value);
            std::memcpy(out.data() + 2 * i, &bits, 2);
          }
        }
      };
    }
    tensors.push_back(std::move(tensor));
  }
  WriteSafetensors(dir / "model.safetensors", std::move(tensors));
}

}  // namespace msearch::inference

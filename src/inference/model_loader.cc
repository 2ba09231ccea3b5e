#include "inference/model_loader.h"

#include "inference/clap_model.h"
#include "inference/clip_model.h"
#include "inference/model_config.h"

namespace msearch::inference {

std::unique_ptr<EmbeddingModel> LoadEmbeddingModel(const std::filesystem::path& dir,
                                                   const EngineOptions& options) {
  // LoadModelConfig rejects unsupported architectures before any weight is read.
  const ModelConfig config = LoadModelConfig(dir);
  switch (config.architecture) {
    case Architecture::kClip:
    case Architecture::kChineseClip:
      return ClipModel::Load(dir, options);
    case Architecture::kClap:
      return ClapModel::Load(dir, options);
  }
  return nullptr;
}

}  // namespace msearch::inference

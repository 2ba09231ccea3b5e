#include "models/model_usage.h"

#include "models/model_name.h"

namespace msearch::models {

std::vector<std::string> ConfigKeysUsing(const config::ModelsConfig& models,
                                         std::string_view store_name) {
  std::vector<std::string> keys;
  if (!models.image.empty() && StoreName(models.image) == store_name) {
    keys.push_back("models.image");
  }
  for (const std::string& text : models.text) {
    if (StoreName(text) == store_name) {
      keys.push_back("models.text");
      break;
    }
  }
  if (!models.audio.empty() && StoreName(models.audio) == store_name) {
    keys.push_back("models.audio");
  }
  return keys;
}

}  // namespace msearch::models

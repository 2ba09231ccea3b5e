#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace msearch::models {

// The configuration keys ("models.image", "models.text", "models.audio")
// that name the installed model `store_name`, by hub id or folder name.
std::vector<std::string> ConfigKeysUsing(const config::ModelsConfig& models,
                                         std::string_view store_name);

}  // namespace msearch::models

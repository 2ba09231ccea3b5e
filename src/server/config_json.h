#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config.h"

namespace msearch::server {

// The value GET /api/v1/config shows in place of a set api.token.
inline constexpr std::string_view kRedactedToken = "********";

// The effective configuration as JSON, with the keys and nesting of the YAML
// file (processes.file_monitor.watched_dirs, api.port, ...) and paths as
// absolute paths. api.token is shown as kRedactedToken when set. Every key
// the loader reads must appear here: a test compares the keys with those of
// config/config.yml.
nlohmann::json ConfigToJson(const config::Config& config);

// The dotted keys ("api.port", "models.text") whose values differ between
// two documents from ConfigToJson. Lists count as one value.
std::vector<std::string> ChangedKeys(const nlohmann::json& before, const nlohmann::json& after);

}  // namespace msearch::server

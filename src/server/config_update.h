#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config.h"

namespace msearch::server {

struct ConfigUpdate {
  std::filesystem::path file;    // the configuration file written
  std::filesystem::path backup;  // the previous version of the file
  nlohmann::json config;         // ConfigToJson of the new configuration
  // Keys whose values differ from those the running server uses. The server
  // reads its configuration once at start, so every one of them takes effect
  // at the next start.
  std::vector<std::string> changed_keys;
};

// Changes the configuration file the running server was started with.
// `change` is a JSON object with the nesting of the YAML file. With `replace`
// false (PATCH) it is merged into the file: objects merge key by key, other
// values replace, and null removes a key so that its default applies. With
// `replace` true (PUT) it becomes the whole file. An api.token equal to
// kRedactedToken keeps the current token.
//
// The configuration loader validates the result. It is then written through
// a temporary file and a rename, so readers never see a partial file. The
// previous file is kept next to it with the suffix ".bak". The written file
// has no comments, because yaml-cpp does not keep them.
//
// Throws ApiError 400 naming the invalid keys (detail: keys, errors) when the
// loader rejects the result. Throws ApiError 409 when the server runs on
// built-in defaults without a file, or for a merge when the file is not valid
// YAML. Throws msearch::Error when the file or its backup cannot be written.
ConfigUpdate UpdateConfigFile(const config::Config& running, const nlohmann::json& change,
                              bool replace);

}  // namespace msearch::server

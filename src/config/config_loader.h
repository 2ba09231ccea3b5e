#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "common/error.h"
#include "config/config.h"

namespace msearch::config {

// Invalid configuration. The message lists every problem found, one per
// line, each naming the file, the key, the value and what is expected.
class ConfigError : public Error {
 public:
  using Error::Error;
};

// Picks the configuration file: `flag_path` (from --config) if given, else
// $MSEARCH_CONFIG, else config/config.yml under the current directory, else
// config/config.yml next to the installation (the executable's ../..).
// Returns nullopt when none exists, so built-in defaults apply.
std::optional<std::filesystem::path> FindConfigFile(
    const std::optional<std::filesystem::path>& flag_path);

// Reads and validates a YAML configuration. Keys missing from the file keep
// their defaults; unknown keys and invalid values raise ConfigError. Relative
// paths resolve against $MSEARCH_HOME when set, else against the folder above
// `config/` when the file sits in a folder of that name, else against the
// file's own folder.
Config LoadConfigFile(const std::filesystem::path& file);

// Parses YAML text. `source` names it in messages; `base_dir` anchors
// relative paths.
Config ParseConfig(const std::string& yaml_text, const std::filesystem::path& source,
                   const std::filesystem::path& base_dir);

// The defaults, with paths anchored at `base_dir`.
Config DefaultConfig(const std::filesystem::path& base_dir);

// FindConfigFile followed by LoadConfigFile, or defaults under the current
// directory when no file exists.
Config LoadConfig(const std::optional<std::filesystem::path>& flag_path);

}  // namespace msearch::config

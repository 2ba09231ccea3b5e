#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace msearch::config::testing {

// Sets or unsets one environment variable for the lifetime of the object and
// restores its previous value, so tests cannot leak settings into each other.
class ScopedEnv {
 public:
  // Sets `name` to `value`, or unsets it when `value` is nullopt.
  ScopedEnv(std::string name, const std::optional<std::string>& value);
  ~ScopedEnv();

  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  std::optional<std::string> previous_;
};

// Changes the current directory and restores the previous one on destruction.
class ScopedCurrentPath {
 public:
  explicit ScopedCurrentPath(const std::filesystem::path& path);
  ~ScopedCurrentPath();

  ScopedCurrentPath(const ScopedCurrentPath&) = delete;
  ScopedCurrentPath& operator=(const ScopedCurrentPath&) = delete;

 private:
  std::filesystem::path previous_;
};

// Writes `text` to `path`, creating its parent folders.
void WriteFile(const std::filesystem::path& path, const std::string& text);

// Parses `yaml` (named "test.yml", paths under /base) and returns the
// ConfigError message, or an empty string when parsing succeeded.
std::string ParseError(const std::string& yaml);

}  // namespace msearch::config::testing

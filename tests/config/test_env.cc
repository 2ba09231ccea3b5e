#include "config/test_env.h"

#include <cstdlib>
#include <fstream>
#include <stdexcept>

#include "config/config_loader.h"

namespace msearch::config::testing {

ScopedEnv::ScopedEnv(std::string name, const std::optional<std::string>& value)
    : name_(std::move(name)) {
  if (const char* previous = std::getenv(name_.c_str())) previous_ = previous;
  if (value) {
    setenv(name_.c_str(), value->c_str(), 1);
  } else {
    unsetenv(name_.c_str());
  }
}

ScopedEnv::~ScopedEnv() {
  if (previous_) {
    setenv(name_.c_str(), previous_->c_str(), 1);
  } else {
    unsetenv(name_.c_str());
  }
}

ScopedCurrentPath::ScopedCurrentPath(const std::filesystem::path& path)
    : previous_(std::filesystem::current_path()) {
  std::filesystem::current_path(path);
}

ScopedCurrentPath::~ScopedCurrentPath() {
  std::error_code ignored;
  std::filesystem::current_path(previous_, ignored);
}

void WriteFile(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream stream(path);
  stream << text;
  if (!stream) throw std::runtime_error("cannot write " + path.string());
}

std::string ParseError(const std::string& yaml) {
  try {
    ParseConfig(yaml, "test.yml", "/base");
  } catch (const ConfigError& error) {
    return error.what();
  }
  return {};
}

}  // namespace msearch::config::testing

#pragma once

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

namespace msearch::testing {

// Parses a JSON file of the model fixtures; throws std::runtime_error naming
// the file when it cannot be read or parsed.
nlohmann::json ReadFixtureJson(const std::filesystem::path& path);

// The model fixture folder of `family` ("clip", "chinese_clip", "clap").
std::filesystem::path ModelFixtureDir(const std::filesystem::path& shared,
                                      const std::string& family);

}  // namespace msearch::testing

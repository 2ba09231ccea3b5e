#pragma once

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

namespace msearch::tokenizer {

// Reads a whole file. Throws TokenizerError naming the file and saying that
// it is missing or unreadable.
std::string ReadTokenizerFile(const std::filesystem::path& path);

// Reads and parses a JSON file. Throws TokenizerError naming the file when it
// is missing, unreadable or not valid JSON.
nlohmann::json ReadTokenizerJson(const std::filesystem::path& path);

}  // namespace msearch::tokenizer

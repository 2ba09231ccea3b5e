#include "tokenizer/tokenizer_files.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "tokenizer/tokenizer_error.h"

namespace msearch::tokenizer {

std::string ReadTokenizerFile(const std::filesystem::path& path) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    throw TokenizerError(fmt::format(
        "tokenizer file '{}' is missing or not a regular file; copy it from the checkpoint",
        path.string()));
  }
  std::ifstream stream(path, std::ios::binary);
  std::ostringstream content;
  if (stream.is_open()) content << stream.rdbuf();
  if (!stream.is_open() || stream.bad()) {
    throw TokenizerError(
        fmt::format("cannot read tokenizer file '{}': {}", path.string(), std::strerror(errno)));
  }
  return std::move(content).str();
}

nlohmann::json ReadTokenizerJson(const std::filesystem::path& path) {
  std::string text = ReadTokenizerFile(path);
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& error) {
    throw TokenizerError(
        fmt::format("tokenizer file '{}' is not valid JSON: {}", path.string(), error.what()));
  }
}

}  // namespace msearch::tokenizer

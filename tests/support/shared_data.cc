#include "support/shared_data.h"

#include <cstdlib>

namespace msearch::testing {

std::optional<std::filesystem::path> SharedDir() {
  std::filesystem::path dir = MSEARCH_SHARED_DIR;
  if (const char* override_dir = std::getenv("MSEARCH_SHARED_DIR")) dir = override_dir;
  std::error_code error;
  if (!std::filesystem::is_directory(dir / "corpus", error)) return std::nullopt;
  return std::filesystem::canonical(dir, error);
}

std::filesystem::path BinaryDir() { return MSEARCH_BINARY_DIR; }

}  // namespace msearch::testing

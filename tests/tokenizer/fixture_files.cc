#include "fixture_files.h"

#include <fstream>
#include <stdexcept>

namespace msearch::testing {

nlohmann::json ReadFixtureJson(const std::filesystem::path& path) {
  std::ifstream stream(path);
  if (!stream) throw std::runtime_error("cannot open fixture file " + path.string());
  return nlohmann::json::parse(stream);
}

std::filesystem::path ModelFixtureDir(const std::filesystem::path& shared,
                                      const std::string& family) {
  return shared / "fixtures" / "models" / family;
}

}  // namespace msearch::testing

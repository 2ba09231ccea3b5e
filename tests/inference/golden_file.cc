#include "golden_file.h"

#include <cmath>
#include <fstream>
#include <limits>

namespace msearch::inference::testing {

GoldenFile::GoldenFile(const std::filesystem::path& model_dir)
    : cases_(nlohmann::json::parse(std::ifstream(model_dir / "cases.json"))),
      goldens_(model_dir / "goldens.safetensors") {}

std::vector<nlohmann::json> GoldenFile::CasesOfKind(const std::string& kind) const {
  std::vector<nlohmann::json> selected;
  for (const nlohmann::json& entry : cases_["cases"]) {
    if (entry["kind"] == kind) selected.push_back(entry);
  }
  return selected;
}

Tensor GoldenFile::Floats(const std::string& name) const {
  const TensorInfo& info = goldens_.Info(name);
  Tensor tensor;
  tensor.shape = info.shape;
  tensor.values = goldens_.ReadFloats(info);
  return tensor;
}

std::vector<int64_t> GoldenFile::Ints(const std::string& name) const {
  return goldens_.ReadInts(goldens_.Info(name));
}

std::vector<int64_t> GoldenFile::Shape(const std::string& name) const {
  return goldens_.Info(name).shape;
}

double MaxAbsDiff(const Tensor& actual, const Tensor& expected) {
  if (actual.shape != expected.shape || actual.values.size() != expected.values.size()) {
    return std::numeric_limits<double>::infinity();
  }
  double largest = 0;
  for (size_t i = 0; i < actual.values.size(); ++i) {
    double diff = std::fabs(static_cast<double>(actual.values[i]) - expected.values[i]);
    if (std::isnan(diff)) return std::numeric_limits<double>::infinity();
    largest = std::max(largest, diff);
  }
  return largest;
}

}  // namespace msearch::inference::testing

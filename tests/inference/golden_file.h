#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "inference/safetensors.h"
#include "inference/tensor.h"

namespace msearch::inference::testing {

// One model fixture folder: its cases.json and goldens.safetensors.
class GoldenFile {
 public:
  explicit GoldenFile(const std::filesystem::path& model_dir);

  const nlohmann::json& cases() const { return cases_; }

  // The cases of one kind ("text", "image", "batch").
  std::vector<nlohmann::json> CasesOfKind(const std::string& kind) const;

  Tensor Floats(const std::string& name) const;
  std::vector<int64_t> Ints(const std::string& name) const;
  std::vector<int64_t> Shape(const std::string& name) const;
  bool Contains(const std::string& name) const { return goldens_.Contains(name); }

 private:
  nlohmann::json cases_;
  SafetensorsFile goldens_;
};

// Largest absolute difference between two tensors of the same shape; +inf
// when the shapes differ, so a shape mismatch fails any tolerance.
double MaxAbsDiff(const Tensor& actual, const Tensor& expected);

}  // namespace msearch::inference::testing

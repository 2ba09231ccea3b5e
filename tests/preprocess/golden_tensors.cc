#include "golden_tensors.h"

#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace msearch::testing {
namespace {

size_t ElementSize(const std::string& dtype) {
  if (dtype == "F32") return 4;
  if (dtype == "I64") return 8;
  if (dtype == "U8" || dtype == "BOOL") return 1;
  return 0;
}

template <typename T>
std::vector<T> CopyOut(const std::vector<uint8_t>& data, size_t begin, size_t end) {
  std::vector<T> values((end - begin) / sizeof(T));
  if (!values.empty()) std::memcpy(values.data(), data.data() + begin, values.size() * sizeof(T));
  return values;
}

}  // namespace

GoldenTensors::GoldenTensors(const std::filesystem::path& path) : path_(path) {
  std::ifstream stream(path, std::ios::binary);
  if (!stream) throw std::runtime_error("cannot open golden file " + path.string());
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(stream)),
                             std::istreambuf_iterator<char>());
  if (bytes.size() < 8) throw std::runtime_error("golden file too short: " + path.string());
  uint64_t header_length = 0;
  for (int i = 7; i >= 0; --i) header_length = (header_length << 8) | bytes[static_cast<size_t>(i)];
  if (header_length > bytes.size() - 8) {
    throw std::runtime_error("golden file header exceeds the file: " + path.string());
  }
  auto header = nlohmann::json::parse(
      bytes.begin() + 8, bytes.begin() + 8 + static_cast<std::ptrdiff_t>(header_length));
  data_.assign(bytes.begin() + 8 + static_cast<std::ptrdiff_t>(header_length), bytes.end());
  for (const auto& [name, info] : header.items()) {
    if (name == "__metadata__") continue;
    Entry entry;
    entry.dtype = info.at("dtype").get<std::string>();
    entry.shape = info.at("shape").get<std::vector<int64_t>>();
    entry.begin = info.at("data_offsets").at(0).get<size_t>();
    entry.end = info.at("data_offsets").at(1).get<size_t>();
    size_t elements = 1;
    for (int64_t dim : entry.shape) elements *= static_cast<size_t>(dim);
    if (entry.end > data_.size() || entry.begin > entry.end ||
        entry.end - entry.begin != elements * ElementSize(entry.dtype)) {
      throw std::runtime_error("golden tensor '" + name + "' has bad offsets in " + path.string());
    }
    tensors_.emplace(name, std::move(entry));
  }
}

const GoldenTensors::Entry* GoldenTensors::Find(const std::string& name,
                                                const std::string& dtype) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end()) {
    ADD_FAILURE() << "golden tensor '" << name << "' not found in " << path_;
    return nullptr;
  }
  if (it->second.dtype != dtype) {
    ADD_FAILURE() << "golden tensor '" << name << "' has dtype " << it->second.dtype
                  << ", expected " << dtype;
    return nullptr;
  }
  return &it->second;
}

std::vector<int64_t> GoldenTensors::Shape(const std::string& name) const {
  auto it = tensors_.find(name);
  return it == tensors_.end() ? std::vector<int64_t>() : it->second.shape;
}

std::vector<float> GoldenTensors::Float32(const std::string& name) const {
  const Entry* entry = Find(name, "F32");
  return entry == nullptr ? std::vector<float>() : CopyOut<float>(data_, entry->begin, entry->end);
}

std::vector<int64_t> GoldenTensors::Int64(const std::string& name) const {
  const Entry* entry = Find(name, "I64");
  return entry == nullptr ? std::vector<int64_t>()
                          : CopyOut<int64_t>(data_, entry->begin, entry->end);
}

std::vector<uint8_t> GoldenTensors::Uint8(const std::string& name) const {
  const Entry* entry = Find(name, "U8");
  return entry == nullptr ? std::vector<uint8_t>()
                          : CopyOut<uint8_t>(data_, entry->begin, entry->end);
}

}  // namespace msearch::testing

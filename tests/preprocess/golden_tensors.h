#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace msearch::testing {

// Minimal reader for the fixtures' goldens.safetensors files, for tests
// only: 8-byte little-endian header length, JSON header of
// {name: {dtype, shape, data_offsets}}, then the raw little-endian data.
// The whole file is read into memory. Accessors fail the current test
// (ADD_FAILURE) and return an empty vector when a tensor is missing or has
// another dtype.
class GoldenTensors {
 public:
  // Reads and checks `path`; throws std::runtime_error naming it when the
  // file is missing or its header is malformed.
  explicit GoldenTensors(const std::filesystem::path& path);

  bool Contains(const std::string& name) const { return tensors_.contains(name); }
  std::vector<int64_t> Shape(const std::string& name) const;

  std::vector<float> Float32(const std::string& name) const;
  std::vector<int64_t> Int64(const std::string& name) const;
  std::vector<uint8_t> Uint8(const std::string& name) const;

 private:
  struct Entry {
    std::string dtype;
    std::vector<int64_t> shape;
    size_t begin = 0;
    size_t end = 0;
  };

  const Entry* Find(const std::string& name, const std::string& dtype) const;

  std::filesystem::path path_;
  std::vector<uint8_t> data_;  // the tensor data after the header
  std::map<std::string, Entry> tensors_;
};

}  // namespace msearch::testing

#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "inference/dtype.h"
#include "inference/mapped_file.h"

namespace msearch::inference {

// One entry of a safetensors header.
struct TensorInfo {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;  // empty for a scalar
  size_t begin = 0;            // byte offset of the data, from the start of the file
  size_t byte_size = 0;

  int64_t element_count() const;
};

// Formats a shape as "[64, 32]" for messages.
std::string FormatShape(std::span<const int64_t> shape);

// A safetensors file (8-byte little-endian header length, JSON header, raw
// little-endian data), mapped read-only. Opening validates the whole header:
// its length, the JSON, every dtype, shape and data range (inside the file,
// size equal to the element count times the dtype size, no two ranges
// overlapping). All errors throw ModelError naming the file and, where there is
// one, the tensor. Reading is thread-safe: the object is immutable after Open.
class SafetensorsFile {
 public:
  // Largest header accepted; the reference implementation rejects larger ones too.
  static constexpr size_t kMaxHeaderBytes = 100 * 1024 * 1024;

  explicit SafetensorsFile(const std::filesystem::path& path);

  const std::filesystem::path& path() const { return file_.path(); }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const std::vector<TensorInfo>& tensors() const { return tensors_; }

  bool Contains(const std::string& name) const;

  // The header entry of `name`; throws ModelError when the file has no such tensor.
  const TensorInfo& Info(const std::string& name) const;

  // The raw bytes of a tensor inside the mapping.
  std::span<const std::byte> Bytes(const TensorInfo& info) const;

  // The data of an F32 tensor in place, or nullptr when it is not F32 or not
  // 4-byte aligned in the mapping (then ReadFloats copies it).
  const float* FloatData(const TensorInfo& info) const;

  // Drops the resident pages of [data, data + bytes) when the range is inside
  // the mapping (see MappedFile::ReleasePages), and does nothing otherwise.
  void ReleasePages(const void* data, size_t bytes) const;

  // Copies a floating-point tensor (F32, F16, BF16, F64) as float32. Throws
  // ModelError for integer or boolean tensors.
  std::vector<float> ReadFloats(const TensorInfo& info) const;

  // Copies an integer or boolean tensor (I64, I32, I16, I8, U8, BOOL) as int64.
  // Throws ModelError for floating-point tensors.
  std::vector<int64_t> ReadInts(const TensorInfo& info) const;

 private:
  void ParseHeader();

  MappedFile file_;
  std::map<std::string, std::string> metadata_;
  std::vector<TensorInfo> tensors_;
  std::map<std::string, size_t, std::less<>> index_;
};

}  // namespace msearch::inference

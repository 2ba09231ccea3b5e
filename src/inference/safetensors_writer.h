#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "inference/dtype.h"

namespace msearch::inference {

// One tensor to write. `fill` receives the tensor's whole data region
// (element count times the dtype size, little-endian) and must write all of it.
// It runs once, while the file is written, so large tensors need not exist in
// memory all at once.
struct TensorToWrite {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
  std::function<void(std::span<std::byte>)> fill;
};

// A float32 tensor stored as `dtype` (F32, F16 or BF16; narrowing rounds to
// nearest even). `values` must hold the element count of `shape`.
TensorToWrite FloatTensor(std::string name, std::vector<int64_t> shape, std::vector<float> values,
                          DType dtype = DType::kF32);

// An I64 tensor; `values` must hold the element count of `shape`.
TensorToWrite Int64Tensor(std::string name, std::vector<int64_t> shape,
                          std::vector<int64_t> values);

// Writes a safetensors file: the header, padded with spaces to a multiple of 8
// bytes, then the data. Tensors are ordered by element size (largest first)
// and then by name, as the Hugging Face writer does, so each tensor is aligned
// to its element size. The file is written to `path` + ".tmp" and renamed, so a
// reader never sees a partial file. Throws ModelError when the file cannot be
// written or a name repeats.
void WriteSafetensors(const std::filesystem::path& path, std::vector<TensorToWrite> tensors,
                      const std::map<std::string, std::string>& metadata = {{"format", "pt"}});

}  // namespace msearch::inference

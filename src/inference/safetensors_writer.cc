#include "inference/safetensors_writer.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "inference/float16.h"
#include "inference/model_error.h"

namespace msearch::inference {
namespace {

size_t ElementCount(const std::vector<int64_t>& shape) {
  size_t count = 1;
  for (int64_t dim : shape) count *= static_cast<size_t>(dim);
  return count;
}

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};

}  // namespace

TensorToWrite FloatTensor(std::string name, std::vector<int64_t> shape, std::vector<float> values,
                          DType dtype) {
  if (values.size() != ElementCount(shape)) {
    throw ModelError(fmt::format("tensor '{}': {} values for shape [{}]", name, values.size(),
                                 fmt::join(shape, ", ")));
  }
  if (dtype != DType::kF32 && dtype != DType::kF16 && dtype != DType::kBF16) {
    throw ModelError(fmt::format("tensor '{}': cannot store floats as {}", name, DTypeName(dtype)));
  }
  TensorToWrite tensor{std::move(name), dtype, std::move(shape), nullptr};
  tensor.fill = [values = std::move(values), dtype](std::span<std::byte> out) {
    if (dtype == DType::kF32) {
      std::memcpy(out.data(), values.data(), values.size() * sizeof(float));
      return;
    }
    for (size_t i = 0; i < values.size(); ++i) {
      uint16_t bits = dtype == DType::kF16 ? FloatToHalf(values[i]) : FloatToBFloat16(values[i]);
      std::memcpy(out.data() + 2 * i, &bits, 2);
    }
  };
  return tensor;
}

TensorToWrite Int64Tensor(std::string name, std::vector<int64_t> shape,
                          std::vector<int64_t> values) {
  if (values.size() != ElementCount(shape)) {
    throw ModelError(fmt::format("tensor '{}': {} values for shape [{}]", name, values.size(),
                                 fmt::join(shape, ", ")));
  }
  TensorToWrite tensor{std::move(name), DType::kI64, std::move(shape), nullptr};
  tensor.fill = [values = std::move(values)](std::span<std::byte> out) {
    std::memcpy(out.data(), values.data(), values.size() * sizeof(int64_t));
  };
  return tensor;
}

void WriteSafetensors(const std::filesystem::path& path, std::vector<TensorToWrite> tensors,
                      const std::map<std::string, std::string>& metadata) {
  std::stable_sort(tensors.begin(), tensors.end(),
                   [](const TensorToWrite& a, const TensorToWrite& b) {
                     size_t size_a = DTypeSize(a.dtype);
                     size_t size_b = DTypeSize(b.dtype);
                     if (size_a != size_b) return size_a > size_b;
                     return a.name < b.name;
                   });

  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::set<std::string> names;
  size_t offset = 0;
  for (const TensorToWrite& tensor : tensors) {
    if (!names.insert(tensor.name).second) {
      throw ModelError(
          fmt::format("cannot write '{}': tensor '{}' appears twice", path.string(), tensor.name));
    }
    size_t bytes = ElementCount(tensor.shape) * DTypeSize(tensor.dtype);
    header[tensor.name] = {{"dtype", DTypeName(tensor.dtype)},
                           {"shape", tensor.shape},
                           {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string header_text = header.dump();
  header_text.append((8 - header_text.size() % 8) % 8, ' ');

  const std::filesystem::path temporary = path.string() + ".tmp";
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(temporary.c_str(), "wb"));
  if (!file) {
    throw ModelError(
        fmt::format("cannot create '{}': {}", temporary.string(), std::strerror(errno)));
  }
  auto write = [&](const void* data, size_t size) {
    if (size > 0 && std::fwrite(data, 1, size, file.get()) != size) {
      throw ModelError(
          fmt::format("cannot write '{}': {}", temporary.string(), std::strerror(errno)));
    }
  };
  const uint64_t header_length = header_text.size();
  write(&header_length, sizeof(header_length));
  write(header_text.data(), header_text.size());
  std::vector<std::byte> buffer;
  for (TensorToWrite& tensor : tensors) {
    buffer.assign(ElementCount(tensor.shape) * DTypeSize(tensor.dtype), std::byte{0});
    if (tensor.fill) tensor.fill(buffer);
    write(buffer.data(), buffer.size());
    tensor.fill = nullptr;  // frees data captured by the filler
  }
  if (std::fclose(file.release()) != 0) {
    throw ModelError(
        fmt::format("cannot write '{}': {}", temporary.string(), std::strerror(errno)));
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) {
    throw ModelError(fmt::format("cannot rename '{}' to '{}': {}", temporary.string(),
                                 path.string(), error.message()));
  }
}

}  // namespace msearch::inference

#include "inference/safetensors.h"

#include <algorithm>
#include <cstring>
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/json_parse.h"
#include "inference/float16.h"
#include "inference/model_error.h"

namespace msearch::inference {
namespace {

using nlohmann::json;

// Bytes of the little-endian header length that starts every file.
constexpr size_t kLengthBytes = 8;

template <typename T>
T LoadUnaligned(const std::byte* source) {
  T value;
  std::memcpy(&value, source, sizeof(T));
  return value;
}

bool IsNonNegativeInteger(const json& value) {
  return value.is_number_unsigned() || (value.is_number_integer() && value.get<int64_t>() >= 0);
}

}  // namespace

int64_t TensorInfo::element_count() const {
  int64_t count = 1;
  for (int64_t dim : shape) count *= dim;
  return count;
}

std::string FormatShape(std::span<const int64_t> shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

SafetensorsFile::SafetensorsFile(const std::filesystem::path& path) : file_(path) { ParseHeader(); }

void SafetensorsFile::ParseHeader() {
  const std::string file_name = path().string();
  if (file_.size() < kLengthBytes) {
    throw ModelError(fmt::format(
        "'{}' is truncated: {} bytes, shorter than the 8-byte safetensors header length", file_name,
        file_.size()));
  }
  const uint64_t header_length = LoadUnaligned<uint64_t>(file_.data());
  if (header_length > kMaxHeaderBytes) {
    throw ModelError(fmt::format(
        "'{}' is not a valid safetensors file: header length {} exceeds the limit of {} bytes",
        file_name, header_length, kMaxHeaderBytes));
  }
  if (header_length > file_.size() - kLengthBytes) {
    throw ModelError(fmt::format(
        "'{}' is truncated: the header needs {} bytes but the file has {} after the length",
        file_name, header_length, file_.size() - kLengthBytes));
  }
  const size_t data_start = kLengthBytes + header_length;
  const size_t data_size = file_.size() - data_start;
  std::string_view header_text(reinterpret_cast<const char*>(file_.data() + kLengthBytes),
                               header_length);

  json header;
  try {
    header = ParseJsonLimited(header_text);
  } catch (const std::exception& error) {
    throw ModelError(fmt::format("'{}' has an invalid safetensors header (not valid JSON): {}",
                                 file_name, error.what()));
  }
  if (!header.is_object()) {
    throw ModelError(
        fmt::format("'{}' has an invalid safetensors header: expected a JSON object", file_name));
  }

  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      if (!entry.is_object()) {
        throw ModelError(fmt::format(
            "'{}' has an invalid safetensors header: __metadata__ is not an object", file_name));
      }
      for (const auto& [key, value] : entry.items()) {
        metadata_[key] = value.is_string() ? value.get<std::string>() : value.dump();
      }
      continue;
    }
    auto invalid = [&](std::string_view what) {
      return ModelError(fmt::format("'{}' has an invalid safetensors header: tensor '{}' {}",
                                    file_name, name, what));
    };
    if (!entry.is_object()) throw invalid("is not an object");
    const json* dtype_field = entry.contains("dtype") ? &entry["dtype"] : nullptr;
    if (dtype_field == nullptr || !dtype_field->is_string()) throw invalid("has no dtype string");
    std::optional<DType> dtype = ParseDType(dtype_field->get<std::string>());
    if (!dtype) {
      throw invalid(fmt::format("has unsupported dtype '{}'", dtype_field->get<std::string>()));
    }

    TensorInfo info;
    info.name = name;
    info.dtype = *dtype;
    if (!entry.contains("shape") || !entry["shape"].is_array()) throw invalid("has no shape array");
    uint64_t count = 1;
    for (const json& dim : entry["shape"]) {
      if (!IsNonNegativeInteger(dim))
        throw invalid("has a shape entry that is not an integer >= 0");
      uint64_t size = dim.get<uint64_t>();
      if (size > static_cast<uint64_t>(INT64_MAX) || __builtin_mul_overflow(count, size, &count)) {
        throw invalid("has a shape whose element count overflows");
      }
      info.shape.push_back(static_cast<int64_t>(size));
    }

    const json* offsets = entry.contains("data_offsets") ? &entry["data_offsets"] : nullptr;
    if (offsets == nullptr || !offsets->is_array() || offsets->size() != 2 ||
        !IsNonNegativeInteger((*offsets)[0]) || !IsNonNegativeInteger((*offsets)[1])) {
      throw invalid("has no data_offsets [begin, end]");
    }
    const uint64_t begin = (*offsets)[0].get<uint64_t>();
    const uint64_t end = (*offsets)[1].get<uint64_t>();
    if (begin > end)
      throw invalid(fmt::format("has data_offsets [{}, {}] with begin > end", begin, end));
    if (end > data_size) {
      throw ModelError(fmt::format(
          "'{}' is truncated: tensor '{}' ends at data offset {} but the data section has {} bytes",
          file_name, name, end, data_size));
    }
    uint64_t expected_bytes = 0;
    if (__builtin_mul_overflow(count, DTypeSize(*dtype), &expected_bytes) ||
        expected_bytes != end - begin) {
      throw invalid(fmt::format("has shape {} of {} ({} bytes) but data_offsets span {} bytes",
                                FormatShape(info.shape), DTypeName(*dtype), expected_bytes,
                                end - begin));
    }
    info.begin = data_start + begin;
    info.byte_size = end - begin;
    tensors_.push_back(std::move(info));
  }

  // Overlapping ranges mean a corrupt or hostile file: two tensors would alias.
  std::vector<const TensorInfo*> by_offset;
  for (const TensorInfo& info : tensors_) by_offset.push_back(&info);
  std::sort(by_offset.begin(), by_offset.end(),
            [](const TensorInfo* a, const TensorInfo* b) { return a->begin < b->begin; });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    const TensorInfo& previous = *by_offset[i - 1];
    const TensorInfo& current = *by_offset[i];
    if (previous.byte_size > 0 && current.byte_size > 0 &&
        current.begin < previous.begin + previous.byte_size) {
      throw ModelError(fmt::format(
          "'{}' has an invalid safetensors header: the data of tensors '{}' and '{}' overlap",
          file_name, previous.name, current.name));
    }
  }

  for (size_t i = 0; i < tensors_.size(); ++i) index_[tensors_[i].name] = i;
}

bool SafetensorsFile::Contains(const std::string& name) const { return index_.contains(name); }

const TensorInfo& SafetensorsFile::Info(const std::string& name) const {
  auto found = index_.find(name);
  if (found == index_.end()) {
    throw ModelError(fmt::format("'{}' has no tensor '{}'", path().string(), name));
  }
  return tensors_[found->second];
}

std::span<const std::byte> SafetensorsFile::Bytes(const TensorInfo& info) const {
  return {file_.data() + info.begin, info.byte_size};
}

const float* SafetensorsFile::FloatData(const TensorInfo& info) const {
  if (info.dtype != DType::kF32) return nullptr;
  const std::byte* data = file_.data() + info.begin;
  if (reinterpret_cast<uintptr_t>(data) % alignof(float) != 0) return nullptr;
  return reinterpret_cast<const float*>(data);
}

void SafetensorsFile::ReleasePages(const void* data, size_t bytes) const {
  file_.ReleasePages(static_cast<const std::byte*>(data), bytes);
}

std::vector<float> SafetensorsFile::ReadFloats(const TensorInfo& info) const {
  const std::byte* data = file_.data() + info.begin;
  const size_t count = static_cast<size_t>(info.element_count());
  std::vector<float> values(count);
  switch (info.dtype) {
    case DType::kF32:
      std::memcpy(values.data(), data, count * sizeof(float));
      break;
    case DType::kF16:
      for (size_t i = 0; i < count; ++i)
        values[i] = HalfToFloat(LoadUnaligned<uint16_t>(data + 2 * i));
      break;
    case DType::kBF16:
      for (size_t i = 0; i < count; ++i) {
        values[i] = BFloat16ToFloat(LoadUnaligned<uint16_t>(data + 2 * i));
      }
      break;
    case DType::kF64:
      for (size_t i = 0; i < count; ++i) {
        values[i] = static_cast<float>(LoadUnaligned<double>(data + 8 * i));
      }
      break;
    default:
      throw ModelError(fmt::format("'{}': tensor '{}' has dtype {}, expected a floating-point type",
                                   path().string(), info.name, DTypeName(info.dtype)));
  }
  return values;
}

std::vector<int64_t> SafetensorsFile::ReadInts(const TensorInfo& info) const {
  const std::byte* data = file_.data() + info.begin;
  const size_t count = static_cast<size_t>(info.element_count());
  std::vector<int64_t> values(count);
  for (size_t i = 0; i < count; ++i) {
    switch (info.dtype) {
      case DType::kI64:
        values[i] = LoadUnaligned<int64_t>(data + 8 * i);
        break;
      case DType::kI32:
        values[i] = LoadUnaligned<int32_t>(data + 4 * i);
        break;
      case DType::kI16:
        values[i] = LoadUnaligned<int16_t>(data + 2 * i);
        break;
      case DType::kI8:
        values[i] = LoadUnaligned<int8_t>(data + i);
        break;
      case DType::kU8:
      case DType::kBool:
        values[i] = LoadUnaligned<uint8_t>(data + i);
        break;
      default:
        throw ModelError(fmt::format("'{}': tensor '{}' has dtype {}, expected an integer type",
                                     path().string(), info.name, DTypeName(info.dtype)));
    }
  }
  return values;
}

}  // namespace msearch::inference

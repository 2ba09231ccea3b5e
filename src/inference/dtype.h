#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace msearch::inference {

// Element types of the safetensors format, by their header names.
enum class DType { kF64, kF32, kF16, kBF16, kI64, kI32, kI16, kI8, kU8, kBool };

// The header name ("F32", "BF16", "BOOL", ...).
std::string_view DTypeName(DType dtype);

// Parses a header name; nullopt for names the engine does not read.
std::optional<DType> ParseDType(std::string_view name);

// Bytes per element.
size_t DTypeSize(DType dtype);

}  // namespace msearch::inference

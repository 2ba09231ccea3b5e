#pragma once

#include <cstddef>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/error.h"

namespace msearch {

// Deepest nesting of arrays and objects accepted from outside input. Real
// messages nest a few levels; far deeper documents only serve to exhaust the
// stack, because copying, comparing and dumping a json value recurse.
inline constexpr size_t kMaxJsonDepth = 64;

// JSON nested deeper than the limit ParseJsonLimited was given.
class JsonDepthError : public Error {
 public:
  using Error::Error;
};

// Parses untrusted JSON text, raising JsonDepthError as soon as arrays or
// objects nest deeper than `max_depth`, before the deep value is built.
// Other syntax errors raise nlohmann::json::parse_error as json::parse does.
nlohmann::json ParseJsonLimited(std::string_view text, size_t max_depth = kMaxJsonDepth);

}  // namespace msearch

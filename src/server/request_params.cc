#include "server/request_params.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "common/json_parse.h"
#include "server/api_error.h"

namespace msearch::server {
namespace {

// Echoed values are cut so that a huge parameter cannot bloat the response.
constexpr size_t kMaxEchoedBytes = 100;

std::string Echo(std::string_view value) {
  if (value.size() <= kMaxEchoedBytes) return std::string(value);
  return std::string(value.substr(0, kMaxEchoedBytes)) + "...";
}

ApiError InvalidValue(const std::string& name, std::string_view value,
                      const std::string& expected) {
  return BadRequest(
      fmt::format("invalid value '{}' for '{}': expected {}", Echo(value), name, expected),
      {{"parameter", name}, {"value", Echo(value)}, {"expected", expected}});
}

ApiError InvalidJsonValue(const std::string& name, const nlohmann::json& value,
                          const std::string& expected) {
  std::string text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return InvalidValue(name, text, expected);
}

std::string RangeText(int64_t min, int64_t max) {
  return fmt::format("an integer from {} to {}", min, max);
}

std::string ChoiceText(std::span<const std::string_view> allowed) {
  return fmt::format("one of {}", fmt::join(allowed, ", "));
}

std::optional<int64_t> ParseInt(std::string_view text) {
  int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, error] = std::from_chars(text.data(), end, value);
  if (error != std::errc() || ptr != end) return std::nullopt;
  return value;
}

std::string Lower(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower;
}

}  // namespace

std::optional<std::string> FindParam(const httplib::Request& request, const std::string& name) {
  if (request.has_param(name)) return request.get_param_value(name);
  if (request.is_multipart_form_data() && request.has_file(name)) {
    return request.get_file_value(name).content;
  }
  return std::nullopt;
}

std::string RequireParam(const httplib::Request& request, const std::string& name) {
  std::optional<std::string> value = FindParam(request, name);
  if (!value || value->empty()) {
    throw BadRequest(fmt::format("missing required parameter '{}'", name), {{"parameter", name}});
  }
  return *value;
}

std::optional<std::string> OptionalParam(const httplib::Request& request, const std::string& name) {
  std::optional<std::string> value = FindParam(request, name);
  if (value && value->empty()) return std::nullopt;
  return value;
}

int64_t IntParam(const httplib::Request& request, const std::string& name, int64_t default_value,
                 int64_t min, int64_t max) {
  return OptionalIntParam(request, name, min, max).value_or(default_value);
}

std::optional<int64_t> OptionalIntParam(const httplib::Request& request, const std::string& name,
                                        int64_t min, int64_t max) {
  std::optional<std::string> text = FindParam(request, name);
  if (!text) return std::nullopt;
  std::optional<int64_t> value = ParseInt(*text);
  if (!value || *value < min || *value > max) {
    throw InvalidValue(name, *text, RangeText(min, max));
  }
  return value;
}

bool BoolParam(const httplib::Request& request, const std::string& name, bool default_value) {
  std::optional<std::string> text = FindParam(request, name);
  if (!text) return default_value;
  std::string lower = Lower(*text);
  if (lower == "true" || lower == "1" || lower == "yes" || lower == "on") return true;
  if (lower == "false" || lower == "0" || lower == "no" || lower == "off") return false;
  throw InvalidValue(name, *text, "true or false");
}

std::optional<std::string> ChoiceParam(const httplib::Request& request, const std::string& name,
                                       std::span<const std::string_view> allowed) {
  std::optional<std::string> value = OptionalParam(request, name);
  if (!value) return std::nullopt;
  if (std::find(allowed.begin(), allowed.end(), *value) == allowed.end()) {
    throw InvalidValue(name, *value, ChoiceText(allowed));
  }
  return value;
}

nlohmann::json JsonObjectBody(const httplib::Request& request) {
  std::string content_type = Lower(request.get_header_value("Content-Type"));
  std::string_view media_type = content_type;
  media_type = media_type.substr(0, media_type.find(';'));
  while (!media_type.empty() && media_type.back() == ' ') media_type.remove_suffix(1);
  if (media_type != "application/json") {
    throw BadRequest(fmt::format("unsupported Content-Type '{}': send the body as application/json",
                                 Echo(request.get_header_value("Content-Type"))),
                     {{"content_type", Echo(request.get_header_value("Content-Type"))}});
  }
  if (request.body.empty()) {
    throw BadRequest("the request body is empty: send a JSON object");
  }

  nlohmann::json body;
  try {
    body = ParseJsonLimited(request.body);
  } catch (const nlohmann::json::parse_error& error) {
    throw BadRequest(fmt::format("the request body is not valid JSON (at byte {})", error.byte),
                     {{"parse_error", error.what()}});
  } catch (const JsonDepthError& error) {
    throw BadRequest(fmt::format("the request body is rejected: {}", error.what()));
  }
  if (!body.is_object()) {
    throw BadRequest(
        fmt::format("the request body must be a JSON object, not {}", body.type_name()));
  }
  return body;
}

std::string JsonString(const nlohmann::json& body, const std::string& name, size_t min_chars,
                       size_t max_chars) {
  std::string expected = fmt::format("a string of {} to {} characters", min_chars, max_chars);
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) {
    throw BadRequest(fmt::format("missing required field '{}': expected {}", name, expected),
                     {{"parameter", name}, {"expected", expected}});
  }
  if (!it->is_string()) throw InvalidJsonValue(name, *it, expected);
  const std::string& value = it->get_ref<const std::string&>();
  size_t chars = CountCodePoints(value);
  if (chars < min_chars || chars > max_chars) {
    throw BadRequest(fmt::format("invalid length {} for '{}': expected {}", chars, name, expected),
                     {{"parameter", name}, {"length", chars}, {"expected", expected}});
  }
  return value;
}

int64_t JsonInt(const nlohmann::json& body, const std::string& name, int64_t default_value,
                int64_t min, int64_t max) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return default_value;

  std::optional<int64_t> value;
  if (it->is_number_integer()) {
    if (it->is_number_unsigned()) {
      uint64_t unsigned_value = it->get<uint64_t>();
      if (unsigned_value <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        value = static_cast<int64_t>(unsigned_value);
      }
    } else {
      value = it->get<int64_t>();
    }
  } else if (it->is_number_float()) {
    double number = it->get<double>();
    // The range check below rejects anything outside int64.
    if (std::isfinite(number) && number == std::trunc(number) && std::abs(number) < 1e18) {
      value = static_cast<int64_t>(number);
    }
  }
  if (!value || *value < min || *value > max) {
    throw InvalidJsonValue(name, *it, RangeText(min, max));
  }
  return *value;
}

std::optional<double> JsonOptionalNumber(const nlohmann::json& body, const std::string& name,
                                         double min, double max) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return std::nullopt;
  std::string expected = fmt::format("a number from {} to {}", min, max);
  if (!it->is_number()) throw InvalidJsonValue(name, *it, expected);
  double value = it->get<double>();
  if (!(value >= min && value <= max)) throw InvalidJsonValue(name, *it, expected);
  return value;
}

std::optional<std::string> JsonOptionalChoice(const nlohmann::json& body, const std::string& name,
                                              std::span<const std::string_view> allowed) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_string() || std::find(allowed.begin(), allowed.end(),
                                    it->get_ref<const std::string&>()) == allowed.end()) {
    throw InvalidJsonValue(name, *it, ChoiceText(allowed));
  }
  return it->get<std::string>();
}

std::vector<std::string> JsonStringList(const nlohmann::json& body, const std::string& name,
                                        size_t min_items, size_t max_items) {
  std::string expected = fmt::format("a list of {} to {} non-empty strings", min_items, max_items);
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) {
    throw BadRequest(fmt::format("missing required field '{}': expected {}", name, expected),
                     {{"parameter", name}, {"expected", expected}});
  }
  if (!it->is_array() || it->size() < min_items || it->size() > max_items) {
    throw InvalidJsonValue(name, *it, expected);
  }
  std::vector<std::string> values;
  values.reserve(it->size());
  for (size_t i = 0; i < it->size(); ++i) {
    const nlohmann::json& item = (*it)[i];
    if (!item.is_string() || item.get_ref<const std::string&>().empty()) {
      throw InvalidJsonValue(fmt::format("{}[{}]", name, i), item, "a non-empty string");
    }
    values.push_back(item.get<std::string>());
  }
  return values;
}

bool JsonBool(const nlohmann::json& body, const std::string& name, bool default_value) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return default_value;
  if (!it->is_boolean()) throw InvalidJsonValue(name, *it, "true or false");
  return it->get<bool>();
}

size_t CountCodePoints(std::string_view text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

}  // namespace msearch::server

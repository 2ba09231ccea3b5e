#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

namespace msearch::server {

// Typed access to request parameters. Each function throws ApiError 400
// naming the parameter, the value received and the accepted values or range
// when the parameter is invalid, so handlers never see malformed input.

// The value of `name` from the query string, a url-encoded form body or a
// multipart form field, in that order; nullopt when absent.
std::optional<std::string> FindParam(const httplib::Request& request, const std::string& name);

// A parameter that must be present and not empty.
std::string RequireParam(const httplib::Request& request, const std::string& name);

// A parameter treated as absent when empty.
std::optional<std::string> OptionalParam(const httplib::Request& request, const std::string& name);

// An integer from `min` to `max`; `default_value` when absent.
int64_t IntParam(const httplib::Request& request, const std::string& name, int64_t default_value,
                 int64_t min, int64_t max);
std::optional<int64_t> OptionalIntParam(const httplib::Request& request, const std::string& name,
                                        int64_t min, int64_t max);

// "true"/"false" (also 1/0, yes/no, on/off, any case); `default_value` when absent.
bool BoolParam(const httplib::Request& request, const std::string& name, bool default_value);

// One of `allowed`, or nullopt when absent or empty.
std::optional<std::string> ChoiceParam(const httplib::Request& request, const std::string& name,
                                       std::span<const std::string_view> allowed);

// The request body as a JSON object. Rejects a Content-Type other than
// application/json, an empty body, malformed JSON and non-object values.
nlohmann::json JsonObjectBody(const httplib::Request& request);

// A required string field of `min_chars` to `max_chars` Unicode code points.
std::string JsonString(const nlohmann::json& body, const std::string& name, size_t min_chars,
                       size_t max_chars);
// An integer field from `min` to `max`; `default_value` when absent or null.
// Accepts whole floating-point numbers such as 20.0.
int64_t JsonInt(const nlohmann::json& body, const std::string& name, int64_t default_value,
                int64_t min, int64_t max);
// A number field from `min` to `max`, or nullopt when absent or null.
std::optional<double> JsonOptionalNumber(const nlohmann::json& body, const std::string& name,
                                         double min, double max);
// A string field that must be one of `allowed`, or nullopt when absent or null.
std::optional<std::string> JsonOptionalChoice(const nlohmann::json& body, const std::string& name,
                                              std::span<const std::string_view> allowed);

// A required list of `min_items` to `max_items` non-empty strings.
std::vector<std::string> JsonStringList(const nlohmann::json& body, const std::string& name,
                                        size_t min_items, size_t max_items);
// A boolean field, or `default_value` when absent or null.
bool JsonBool(const nlohmann::json& body, const std::string& name, bool default_value);

// Counts the Unicode code points of UTF-8 `text` by skipping continuation bytes.
size_t CountCodePoints(std::string_view text);

}  // namespace msearch::server

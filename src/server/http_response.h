#pragma once

#include <string>
#include <string_view>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "server/api_error.h"

namespace msearch::server {

// Sets `json` as the response body with Content-Type application/json.
// Strings that are not valid UTF-8 (file names on Linux may be any bytes)
// are written with U+FFFD in place of the invalid bytes instead of failing.
void WriteJson(httplib::Response& response, const nlohmann::json& json, int status = 200);

// ErrorResponse: {error, message, detail, timestamp}.
nlohmann::json ErrorBody(std::string_view code, std::string_view message,
                         const nlohmann::json& detail = nullptr);
void WriteError(httplib::Response& response, const ApiError& error);

// SuccessResponse: {success: true, message, data, timestamp}.
nlohmann::json SuccessBody(std::string_view message, nlohmann::json data = nullptr);

// Percent-encodes `text` for use as a URL query value, keeping only the
// unreserved characters of RFC 3986.
std::string EncodeQueryValue(std::string_view text);

// The current time as ISO 8601 UTC.
std::string NowIso8601();

}  // namespace msearch::server

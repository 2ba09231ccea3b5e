#include "server/http_response.h"

#include "common/clock.h"

namespace msearch::server {

void WriteJson(httplib::Response& response, const nlohmann::json& json, int status) {
  response.status = status;
  response.set_content(json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                       "application/json");
}

nlohmann::json ErrorBody(std::string_view code, std::string_view message,
                         const nlohmann::json& detail) {
  return {{"error", code}, {"message", message}, {"detail", detail}, {"timestamp", NowIso8601()}};
}

void WriteError(httplib::Response& response, const ApiError& error) {
  WriteJson(response, ErrorBody(error.code(), error.what(), error.detail()), error.status());
}

nlohmann::json SuccessBody(std::string_view message, nlohmann::json data) {
  return {{"success", true},
          {"message", message},
          {"data", std::move(data)},
          {"timestamp", NowIso8601()}};
}

std::string EncodeQueryValue(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string encoded;
  encoded.reserve(text.size());
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    bool unreserved = (byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z') ||
                      (byte >= '0' && byte <= '9') || byte == '-' || byte == '_' || byte == '.' ||
                      byte == '~';
    if (unreserved) {
      encoded.push_back(c);
    } else {
      encoded.push_back('%');
      encoded.push_back(kHex[byte >> 4]);
      encoded.push_back(kHex[byte & 0x0F]);
    }
  }
  return encoded;
}

std::string NowIso8601() { return FormatIso8601(NowSeconds()); }

}  // namespace msearch::server

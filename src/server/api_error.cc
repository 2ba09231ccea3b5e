#include "server/api_error.h"

namespace msearch::server {

ApiError BadRequest(const std::string& message, nlohmann::json detail) {
  return ApiError(400, "invalid_request", message, std::move(detail));
}

ApiError Unauthorized(const std::string& message) { return ApiError(401, "unauthorized", message); }

ApiError Forbidden(const std::string& message, nlohmann::json detail) {
  return ApiError(403, "forbidden", message, std::move(detail));
}

ApiError NotFound(const std::string& message, nlohmann::json detail) {
  return ApiError(404, "not_found", message, std::move(detail));
}

ApiError Conflict(const std::string& message, nlohmann::json detail) {
  return ApiError(409, "conflict", message, std::move(detail));
}

ApiError PayloadTooLarge(const std::string& message) {
  return ApiError(413, "payload_too_large", message);
}

ApiError Unavailable(const std::string& message, nlohmann::json detail) {
  return ApiError(503, "service_unavailable", message, std::move(detail));
}

}  // namespace msearch::server

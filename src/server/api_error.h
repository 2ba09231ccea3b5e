#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "common/error.h"

namespace msearch::server {

// A request the server rejects with a 4xx or 503 status. Route handlers throw
// it; the route wrapper turns it into an ErrorResponse body:
// {error, message, detail, timestamp}.
class ApiError : public Error {
 public:
  ApiError(int status, std::string code, const std::string& message,
           nlohmann::json detail = nullptr)
      : Error(message), status_(status), code_(std::move(code)), detail_(std::move(detail)) {}

  int status() const { return status_; }
  // Machine-readable error kind, e.g. "invalid_parameter" or "not_found".
  const std::string& code() const { return code_; }
  const nlohmann::json& detail() const { return detail_; }

 private:
  int status_;
  std::string code_;
  nlohmann::json detail_;
};

ApiError BadRequest(const std::string& message, nlohmann::json detail = nullptr);
ApiError Unauthorized(const std::string& message);
ApiError Forbidden(const std::string& message, nlohmann::json detail = nullptr);
ApiError NotFound(const std::string& message, nlohmann::json detail = nullptr);
// The request is valid but the resource is in a state the operation does not
// apply to, e.g. cancelling a completed task.
ApiError Conflict(const std::string& message, nlohmann::json detail = nullptr);
ApiError PayloadTooLarge(const std::string& message);
ApiError Unavailable(const std::string& message, nlohmann::json detail = nullptr);

}  // namespace msearch::server

#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/route_recording_server.h"

namespace msearch::server {

// The OpenAPI 3.0 document served at GET /api/v1/openapi.json: every route
// with its parameters, request bodies and response schemas.
nlohmann::json OpenApiDocument(std::string_view version);

// The OpenAPI path of a registered route pattern: each regex group such as
// "([^/]+)" becomes "{}". Documented paths compare equal after the same
// treatment of their "{name}" parameters (see NormalizeOpenApiPath).
std::string NormalizeRoutePattern(std::string_view pattern);
std::string NormalizeOpenApiPath(std::string_view path);

// The routes of `routes` that `document` does not describe, as "METHOD pattern".
std::vector<std::string> UndocumentedRoutes(const nlohmann::json& document,
                                            const std::vector<RegisteredRoute>& routes);

}  // namespace msearch::server

#pragma once

#include <nlohmann/json.hpp>

namespace msearch::server::openapi {

// The "components" object of the OpenAPI document: schemas, the shared error
// responses (ErrorNNN) and the bearer security scheme.
nlohmann::json Components();

// The "paths" objects of the OpenAPI document, by group of routes.
nlohmann::json SearchPaths();
nlohmann::json IndexAndFilePaths();
nlohmann::json TaskPaths();
nlohmann::json SystemPaths();

}  // namespace msearch::server::openapi

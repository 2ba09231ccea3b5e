#include "server/openapi.h"

#include <algorithm>
#include <cctype>
#include <regex>

#include "server/http_response.h"
#include "server/openapi_components.h"
#include "server/server_context.h"

namespace msearch::server {

nlohmann::json OpenApiDocument(std::string_view version) {
  nlohmann::json paths = nlohmann::json::object();
  for (const nlohmann::json& group : {openapi::SearchPaths(), openapi::IndexAndFilePaths(),
                                      openapi::TaskPaths(), openapi::SystemPaths()}) {
    for (const auto& [path, operations] : group.items()) paths[path].update(operations);
  }
  return {
      {"openapi", "3.0.3"},
      {"info",
       {{"title", "msearch REST API"},
        {"version", version},
        {"description",
         "Local multimodal media search. Errors use ErrorResponse with the HTTP status. Without "
         "api.token only local clients are served; with it every route but /health needs "
         "'Authorization: Bearer <token>'."}}},
      {"servers", nlohmann::json::array({{{"url", "/"}}})},
      {"security",
       nlohmann::json::array({nlohmann::json::object(), {{"bearer", nlohmann::json::array()}}})},
      {"paths", std::move(paths)},
      {"components", openapi::Components()},
  };
}

std::string NormalizeRoutePattern(std::string_view pattern) {
  // Route patterns use one group per path parameter and no nested groups.
  static const std::regex kGroup(R"(\([^)]*\))");
  return std::regex_replace(std::string(pattern), kGroup, "{}");
}

std::string NormalizeOpenApiPath(std::string_view path) {
  static const std::regex kParameter(R"(\{[^}]*\})");
  return std::regex_replace(std::string(path), kParameter, "{}");
}

std::vector<std::string> UndocumentedRoutes(const nlohmann::json& document,
                                            const std::vector<RegisteredRoute>& routes) {
  std::map<std::string, const nlohmann::json*> documented;
  for (const auto& [path, operations] : document["paths"].items()) {
    documented[NormalizeOpenApiPath(path)] = &operations;
  }
  std::vector<std::string> missing;
  for (const RegisteredRoute& route : routes) {
    std::string method = route.method;
    std::transform(method.begin(), method.end(), method.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    auto it = documented.find(NormalizeRoutePattern(route.pattern));
    if (it == documented.end() || !it->second->contains(method)) {
      missing.push_back(route.method + " " + route.pattern);
    }
  }
  return missing;
}

void RegisterOpenApiRoute(ServerContext& context) {
  auto document = std::make_shared<const std::string>(
      OpenApiDocument(ServerVersion())
          .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  context.http.Get("/api/v1/openapi.json",
                   Route(context, [document](const auto&, httplib::Response& response) {
                     response.set_content(*document, "application/json");
                   }));
}

}  // namespace msearch::server

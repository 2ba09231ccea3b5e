#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "server/openapi.h"
#include "server_fixture.h"

namespace msearch::server {
namespace {

using nlohmann::json;

std::vector<RegisteredRoute> ParseRouteList(const std::vector<std::string>& list) {
  std::vector<RegisteredRoute> routes;
  for (const std::string& entry : list) {
    size_t space = entry.find(' ');
    routes.push_back({entry.substr(0, space), entry.substr(space + 1)});
  }
  return routes;
}

TEST_F(ServerTest, OpenApiDescribesEveryRoute) {
  httplib::Client client = Client();
  json document = JsonBody(client.Get("/api/v1/openapi.json"));
  ASSERT_TRUE(document.is_object());
  EXPECT_EQ(document["openapi"], "3.0.3");
  EXPECT_EQ(document["info"]["version"], "0.1.0");

  std::vector<RegisteredRoute> routes = ParseRouteList(server_->RouteList());
  ASSERT_GT(routes.size(), 40u);
  std::vector<std::string> missing = UndocumentedRoutes(document, routes);
  EXPECT_TRUE(missing.empty()) << "routes missing from the OpenAPI document: "
                               << json(missing).dump();
}

TEST_F(ServerTest, OpenApiDocumentsOriginalApi) {
  httplib::Client client = Client();
  json document = JsonBody(client.Get("/api/v1/openapi.json"));
  const json& paths = document["paths"];
  // The routes and methods of the original API.
  const std::vector<std::pair<std::string, std::string>> original = {
      {"/api/v1/search/text", "post"},
      {"/api/v1/search/image", "post"},
      {"/api/v1/search/audio", "post"},
      {"/api/v1/search/video", "post"},
      {"/api/v1/index/file", "post"},
      {"/api/v1/index/directory", "post"},
      {"/api/v1/index/reindex-all", "post"},
      {"/api/v1/index/add", "post"},
      {"/api/v1/index/remove", "delete"},
      {"/api/v1/index/status", "get"},
      {"/api/v1/files/list", "get"},
      {"/api/v1/files/{file_uuid}", "get"},
      {"/api/v1/files/upload", "post"},
      {"/api/v1/files/preview", "get"},
      {"/api/v1/files/thumbnail", "get"},
      {"/api/v1/tasks", "get"},
      {"/api/v1/tasks/stats", "get"},
      {"/api/v1/tasks/thread-pool/status", "get"},
      {"/api/v1/tasks/cancel-all", "post"},
      {"/api/v1/tasks/cancel-by-type", "post"},
      {"/api/v1/tasks/{task_id}", "get"},
      {"/api/v1/tasks/{task_id}", "delete"},
      {"/api/v1/tasks/{task_id}/cancel", "post"},
      {"/api/v1/tasks/{task_id}/priority", "post"},
      {"/api/v1/tasks/{task_id}/pause", "post"},
      {"/api/v1/tasks/{task_id}/resume", "post"},
      {"/api/v1/tasks/{task_id}/retry", "post"},
      {"/api/v1/tasks/{task_id}/archive", "post"},
      {"/api/v1/vector/stats", "get"},
      {"/api/v1/system/info", "get"},
      {"/api/v1/system/stats", "get"},
      {"/health", "get"},
  };
  for (const auto& [path, method] : original) {
    ASSERT_TRUE(paths.contains(path)) << path;
    EXPECT_TRUE(paths[path].contains(method)) << method << " " << path;
  }

  // Every $ref points at a defined component.
  std::string text = document.dump();
  size_t at = 0;
  while ((at = text.find("\"$ref\":\"#/components/", at)) != std::string::npos) {
    size_t start = at + 21;
    size_t end = text.find('"', start);
    std::string reference = text.substr(start, end - start);
    size_t slash = reference.find('/');
    EXPECT_TRUE(
        document["components"][reference.substr(0, slash)].contains(reference.substr(slash + 1)))
        << reference;
    at = end;
  }

  const json& file_info = document["components"]["schemas"]["FileInfo"]["properties"];
  for (const char* field :
       {"file_uuid", "file_path", "file_name", "file_type", "file_size", "created_at",
        "modified_at", "indexed", "has_thumbnail", "has_preview"}) {
    EXPECT_TRUE(file_info.contains(field)) << field;
  }
}

TEST(OpenApi, NormalizesPatterns) {
  EXPECT_EQ(NormalizeRoutePattern(R"(/api/v1/tasks/([^/]+)/cancel)"), "/api/v1/tasks/{}/cancel");
  EXPECT_EQ(NormalizeRoutePattern(R"(/a/([^/]+)/b/([^/]+))"), "/a/{}/b/{}");
  EXPECT_EQ(NormalizeOpenApiPath("/api/v1/tasks/{task_id}/cancel"), "/api/v1/tasks/{}/cancel");
  json document = {{"paths", {{"/x/{id}", {{"get", json::object()}}}}}};
  std::vector<RegisteredRoute> routes = {
      {"GET", "/x/([^/]+)"}, {"POST", "/x/([^/]+)"}, {"GET", "/y"}};
  EXPECT_EQ(UndocumentedRoutes(document, routes),
            (std::vector<std::string>{"POST /x/([^/]+)", "GET /y"}));
}

}  // namespace
}  // namespace msearch::server

#include "server/http_response.h"
#include "server/model_status.h"
#include "server/server_context.h"

namespace msearch::server {
namespace {

void HandleModels(ServerContext& context, httplib::Response& response) {
  WriteJson(response, {
                          {"models_dir", context.config.models.dir.string()},
                          {"configured", ConfiguredModels(context)},
                          {"installed", InstalledModels(context)},
                          {"timestamp", NowIso8601()},
                      });
}

}  // namespace

void RegisterModelRoutes(ServerContext& context) {
  context.http.Get("/api/v1/models", Route(context, [&context](const auto&, auto& response) {
                     HandleModels(context, response);
                   }));
}

}  // namespace msearch::server

#include <fmt/format.h>

#include "server/config_json.h"
#include "server/config_update.h"
#include "server/http_response.h"
#include "server/request_params.h"
#include "server/server_context.h"

namespace msearch::server {
namespace {

void HandleGetConfig(ServerContext& context, httplib::Response& response) {
  const config::Config& config = context.config;
  WriteJson(response,
            {
                {"config", ConfigToJson(config)},
                {"source",
                 config.source.empty() ? nlohmann::json() : nlohmann::json(config.source.string())},
                {"base_dir", config.base_dir.string()},
                {"editable", !config.source.empty()},
                {"timestamp", NowIso8601()},
            });
}

void HandleUpdateConfig(ServerContext& context, const httplib::Request& request,
                        httplib::Response& response, bool replace) {
  nlohmann::json change = JsonObjectBody(request);
  ConfigUpdate update;
  {
    std::lock_guard lock(context.config_file_mutex);
    update = UpdateConfigFile(context.config, change, replace);
  }
  context.logger->info("configuration file {} {} through the API; changed keys: {}",
                       update.file.string(), replace ? "replaced" : "updated",
                       fmt::join(update.changed_keys, ", "));
  std::string message =
      update.changed_keys.empty()
          ? fmt::format("saved {}; it matches the running configuration", update.file.string())
          : fmt::format("saved {}; restart msearch to apply the changed settings: {}",
                        update.file.string(), fmt::join(update.changed_keys, ", "));
  WriteJson(response, SuccessBody(message, {
                                               {"file", update.file.string()},
                                               {"backup", update.backup.string()},
                                               {"config", update.config},
                                               {"changed_keys", update.changed_keys},
                                               // The server reads its configuration at start
                                               // only, so every change waits for a restart.
                                               {"restart_required", update.changed_keys},
                                               {"applied_now", nlohmann::json::array()},
                                           }));
}

}  // namespace

void RegisterConfigRoutes(ServerContext& context) {
  RouteRecordingServer& http = context.http;
  http.Get("/api/v1/config", Route(context, [&context](const auto&, auto& response) {
             HandleGetConfig(context, response);
           }));
  http.Put("/api/v1/config", Route(context, [&context](const auto& request, auto& response) {
             HandleUpdateConfig(context, request, response, true);
           }));
  http.Patch("/api/v1/config", Route(context, [&context](const auto& request, auto& response) {
               HandleUpdateConfig(context, request, response, false);
             }));
}

}  // namespace msearch::server

#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <httplib.h>
#include <spdlog/spdlog.h>

#include "config/config.h"
#include "server/api_server.h"
#include "server/database_pool.h"
#include "server/event_bus.h"
#include "server/route_recording_server.h"
#include "server/upload_area.h"

namespace msearch::search {
class SearchService;
}  // namespace msearch::search

namespace msearch::server {

// The version reported by /health and /system/info.
std::string_view ServerVersion();

class EventPoller;

// State shared by the route handlers of one ApiServer.
struct ServerContext {
  ServerContext(const config::Config& server_config, ServerHooks server_hooks);
  ~ServerContext();

  // Seconds since the server was constructed.
  double Uptime() const;

  const config::Config config;
  const ServerHooks hooks;
  DatabasePool databases;
  std::shared_ptr<spdlog::logger> logger;
  const double started_at;  // MonotonicSeconds()
  RouteRecordingServer http;
  // Uploaded files under <data_dir>/uploads.
  UploadArea uploads;
  // Server-sent events, which the poller and routes publish and streams wait for.
  EventBus events;
  EventStreamOptions event_options;
  std::unique_ptr<EventPoller> event_poller;
  // Serialises edits of the configuration file through the API.
  std::mutex config_file_mutex;
  // Runs the queries of the search routes. Never null.
  std::shared_ptr<search::SearchService> search;
};

// Wraps a route handler so that an ApiError becomes its ErrorResponse and a
// database busy past its timeout becomes 503. Other exceptions reach the
// server's exception handler, which answers 500.
httplib::Server::Handler Route(ServerContext& context, httplib::Server::Handler handler);

// Runs `call` and logs, then swallows, its exception. Returns false when it threw.
bool CallHook(ServerContext& context, std::string_view hook_name,
              const std::function<void()>& call);

void RegisterSystemRoutes(ServerContext& context);
void RegisterSearchRoutes(ServerContext& context);
void RegisterFileRoutes(ServerContext& context);
void RegisterIndexRoutes(ServerContext& context);
void RegisterTaskRoutes(ServerContext& context);
void RegisterDirectoryRoutes(ServerContext& context);
void RegisterEventRoutes(ServerContext& context);
void RegisterModelRoutes(ServerContext& context);
void RegisterConfigRoutes(ServerContext& context);
void RegisterOpenApiRoute(ServerContext& context);

}  // namespace msearch::server

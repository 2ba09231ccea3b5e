#include "server/server_context.h"

#include <sqlite3.h>

#include "common/clock.h"
#include "common/logging.h"
#include "server/event_poller.h"
#include "server/http_response.h"
#include "server/request_limits.h"
#include "store/sqlite.h"

#ifndef MSEARCH_VERSION
#define MSEARCH_VERSION "unknown"
#endif

namespace msearch::server {
namespace {

queue::QueueOptions QueueOptionsFromConfig(const config::TaskQueueConfig& config) {
  queue::QueueOptions options;
  options.max_size = config.max_size > 0 ? static_cast<size_t>(config.max_size) : 0;
  options.lease_seconds = config.lease_seconds;
  options.max_attempts = config.max_attempts;
  options.retry_base_seconds = config.retry_base_seconds;
  options.retry_max_seconds = config.retry_max_seconds;
  options.global_running_limit = config.max_running;
  options.type_running_limits = config.type_limits;
  return options;
}

bool IsBusy(const store::SqliteError& error) {
  int primary = error.code() & 0xFF;
  return primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
}

}  // namespace

std::string_view ServerVersion() { return MSEARCH_VERSION; }

ServerContext::ServerContext(const config::Config& server_config, ServerHooks server_hooks)
    : config(server_config),
      hooks(std::move(server_hooks)),
      databases(config.storage.catalog_path, config.ipc.task_queue.path,
                QueueOptionsFromConfig(config.ipc.task_queue)),
      logger(OpenFileLogger("api", "api_server.log")),
      started_at(MonotonicSeconds()),
      uploads(config.storage.data_dir / "uploads", kMaxUploadBytes),
      events(1),
      event_poller(std::make_unique<EventPoller>(*this)) {}

ServerContext::~ServerContext() = default;

double ServerContext::Uptime() const { return MonotonicSeconds() - started_at; }

httplib::Server::Handler Route(ServerContext& context, httplib::Server::Handler handler) {
  return [&context, handler = std::move(handler)](const httplib::Request& request,
                                                  httplib::Response& response) {
    try {
      handler(request, response);
    } catch (const ApiError& error) {
      auto level = error.status() >= 500 ? spdlog::level::err : spdlog::level::info;
      context.logger->log(level, "{} {} rejected with {} {}: {}", request.method, request.path,
                          error.status(), error.code(), error.what());
      WriteError(response, error);
    } catch (const store::SqliteError& error) {
      if (!IsBusy(error)) throw;
      context.logger->warn("{} {} failed: database busy: {}", request.method, request.path,
                           error.what());
      WriteError(response, Unavailable("the database is busy; retry the request shortly",
                                       {{"database_error", error.what()}}));
    }
  };
}

bool CallHook(ServerContext& context, std::string_view hook_name,
              const std::function<void()>& call) {
  try {
    call();
    return true;
  } catch (const std::exception& error) {
    context.logger->error("hook {} failed: {}", hook_name, error.what());
    return false;
  }
}

}  // namespace msearch::server

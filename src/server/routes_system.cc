#include "common/clock.h"
#include "server/http_response.h"
#include "server/server_context.h"
#include "server/system_status.h"

namespace msearch::server {
namespace {

void HandleHealth(ServerContext& context, httplib::Response& response) {
  bool processes_ok = true;
  nlohmann::json processes = ProcessList(context, &processes_ok);
  nlohmann::json database = DatabaseStatus(context);
  bool healthy = processes_ok && database["reachable"].get<bool>();
  WriteJson(response, {
                          {"status", healthy ? "ok" : "degraded"},
                          {"version", ServerVersion()},
                          {"uptime", context.Uptime()},
                          {"processes", processes},
                          {"database", database},
                          {"timestamp", NowIso8601()},
                      });
}

void HandleSystemInfo(ServerContext& context, httplib::Response& response) {
  nlohmann::json database = DatabaseStatus(context);
  WriteJson(response,
            {
                {"version", ServerVersion()},
                // The original reported its Python version under this key;
                // clients read it, so it names the C++ runtime instead.
                {"python_version", RuntimeDescription()},
                {"platform", PlatformDescription()},
                {"uptime", context.Uptime()},
                {"models", nlohmann::json::array()},
                {"database_status", database["reachable"].get<bool>() ? "connected" : "error"},
                {"database", database},
                {"vector_store_status", "not configured"},
                {"timestamp", NowIso8601()},
            });
}

void HandleSystemStats(ServerContext& context, httplib::Response& response) {
  DatabasePool::Lease lease = context.databases.Acquire();
  store::CatalogCounts files = lease.catalog().Counts();
  queue::QueueStats tasks = lease.queue().Stats();
  auto status_count = [&tasks](queue::TaskStatus status) -> int64_t {
    auto it = tasks.by_status.find(std::string(queue::ToString(status)));
    return it == tasks.by_status.end() ? 0 : it->second;
  };

  bool processes_ok = true;
  nlohmann::json processes = ProcessList(context, &processes_ok);
  WriteJson(response, {
                          {"total_files", files.total},
                          {"indexed_files", files.indexed},
                          {"pending_files", files.pending + files.processing},
                          {"failed_files", files.failed},
                          {"files_by_type", files.by_kind},
                          {"total_vectors", 0},
                          {"active_tasks", tasks.pending + tasks.running},
                          {"pending_tasks", tasks.pending},
                          {"running_tasks", tasks.running},
                          {"completed_tasks", status_count(queue::TaskStatus::kCompleted)},
                          {"failed_tasks", status_count(queue::TaskStatus::kFailed)},
                          {"cancelled_tasks", status_count(queue::TaskStatus::kCancelled)},
                          {"memory_usage", MemoryUsage(processes)},
                          {"disk_usage", DiskUsage(context.config)},
                          {"processes", processes},
                          {"uptime", context.Uptime()},
                          {"timestamp", NowIso8601()},
                      });
}

}  // namespace

void RegisterSystemRoutes(ServerContext& context) {
  context.http.Get("/health", Route(context, [&context](const auto&, auto& response) {
                     HandleHealth(context, response);
                   }));
  context.http.Get("/api/v1/system/info", Route(context, [&context](const auto&, auto& response) {
                     HandleSystemInfo(context, response);
                   }));
  context.http.Get("/api/v1/system/stats", Route(context, [&context](const auto&, auto& response) {
                     HandleSystemStats(context, response);
                   }));
}

}  // namespace msearch::server

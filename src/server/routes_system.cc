#include <fmt/format.h>

#include "common/clock.h"
#include "models/model_name.h"
#include "server/access_control.h"
#include "server/http_response.h"
#include "server/model_status.h"
#include "server/server_context.h"
#include "server/system_status.h"
#include "store/embedding_store.h"

namespace msearch::server {
namespace {

void HandleHealth(ServerContext& context, const httplib::Request& request,
                  httplib::Response& response) {
  bool processes_ok = true;
  nlohmann::json processes = ProcessList(context, &processes_ok);
  nlohmann::json database = DatabaseStatus(context);
  bool healthy = processes_ok && database["reachable"].get<bool>();
  std::string status = healthy ? "ok" : "degraded";
  // Without the token a client learns only whether the service is up. The
  // process table (pids, memory) and the database paths stay private.
  if (!HasValidToken(request, context.config.api)) {
    WriteJson(response, {{"status", status}});
    return;
  }
  WriteJson(response, {
                          {"status", status},
                          {"version", ServerVersion()},
                          {"uptime", context.Uptime()},
                          {"processes", processes},
                          {"database", database},
                          {"timestamp", NowIso8601()},
                      });
}

// The index_status hook's entries by space. `*ok` is false when the hook is
// missing, throws or returns something other than an array.
std::map<std::string, nlohmann::json> IndexStatusBySpace(ServerContext& context, bool* ok) {
  std::map<std::string, nlohmann::json> by_space;
  *ok = false;
  if (!context.hooks.index_status) return by_space;
  nlohmann::json status;
  *ok = CallHook(context, "index_status",
                 [&context, &status] { status = context.hooks.index_status(); });
  if (!*ok || !status.is_array()) {
    *ok = false;
    return by_space;
  }
  for (const nlohmann::json& entry : status) {
    if (entry.is_object() && entry.contains("space") && entry["space"].is_string()) {
      by_space[entry["space"].get<std::string>()] = entry;
    }
  }
  return by_space;
}

// The roles of the configured models that write to `space`.
nlohmann::json SpaceModalities(const config::ModelsConfig& models, const std::string& space) {
  auto writes_to_space = [&space](const std::string& model) {
    try {
      return !model.empty() && models::StoreName(model) == space;
    } catch (const Error&) {
      return false;
    }
  };
  nlohmann::json modalities = nlohmann::json::array();
  if (writes_to_space(models.image)) {
    modalities.push_back("image");
    modalities.push_back("video");
  }
  if (writes_to_space(models.audio)) modalities.push_back("audio");
  return modalities;
}

std::string VectorStoreStatus(ServerContext& context, bool index_ok) {
  if (!context.hooks.index_status) return "not configured";
  return index_ok ? "ready" : "error";
}

void HandleVectorStats(ServerContext& context, httplib::Response& response) {
  bool index_ok = false;
  std::map<std::string, nlohmann::json> indexes = IndexStatusBySpace(context, &index_ok);
  DatabasePool::Lease lease = context.databases.Acquire();
  store::EmbeddingStore embeddings(lease.catalog().database());

  nlohmann::json spaces = nlohmann::json::array();
  int64_t total = 0;
  int64_t total_bytes = 0;
  for (const store::SpaceInfo& info : embeddings.ListSpaces()) {
    int64_t bytes = info.count * info.dimension * static_cast<int64_t>(sizeof(float));
    total += info.count;
    total_bytes += bytes;
    auto index = indexes.find(info.space);
    spaces.push_back({
        {"space", info.space},
        {"model_name", info.space},
        {"modalities", SpaceModalities(context.config.models, info.space)},
        {"dimension", info.dimension},
        {"vectors", info.count},
        {"vector_bytes", bytes},
        {"index", index == indexes.end() ? nlohmann::json() : index->second},
    });
  }
  WriteJson(response, {
                          {"total_vectors", total},
                          {"total_vector_bytes", total_bytes},
                          {"spaces", std::move(spaces)},
                          {"vector_store_status", VectorStoreStatus(context, index_ok)},
                          {"timestamp", NowIso8601()},
                      });
}

void HandleSystemInfo(ServerContext& context, httplib::Response& response) {
  nlohmann::json database = DatabaseStatus(context);
  bool index_ok = false;
  IndexStatusBySpace(context, &index_ok);
  nlohmann::json models = nlohmann::json::array();
  try {
    models = SystemInfoModels(ConfiguredModels(context));
  } catch (const std::exception& error) {
    // The models folder may be unreadable, but the rest of the report is still useful.
    context.logger->warn("system info: failed to read the models: {}", error.what());
  }
  WriteJson(response,
            {
                {"version", ServerVersion()},
                // The original reported its Python version under this key;
                // clients read it, so it names the C++ runtime instead.
                {"python_version", RuntimeDescription()},
                {"platform", PlatformDescription()},
                {"uptime", context.Uptime()},
                {"models", std::move(models)},
                {"database_status", database["reachable"].get<bool>() ? "connected" : "error"},
                {"database", database},
                {"vector_store_status", VectorStoreStatus(context, index_ok)},
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
  int64_t vectors = 0;
  store::EmbeddingStore embeddings(lease.catalog().database());
  for (const store::SpaceInfo& info : embeddings.ListSpaces()) vectors += info.count;

  bool processes_ok = true;
  nlohmann::json processes = ProcessList(context, &processes_ok);
  WriteJson(response, {
                          {"total_files", files.total},
                          {"indexed_files", files.indexed},
                          {"pending_files", files.pending + files.processing},
                          {"failed_files", files.failed},
                          {"files_by_type", files.by_kind},
                          {"total_vectors", vectors},
                          {"active_tasks", tasks.pending + tasks.running},
                          {"pending_tasks", tasks.pending},
                          {"running_tasks", tasks.running},
                          {"waiting_tasks", tasks.waiting},
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
  RouteRecordingServer& http = context.http;
  http.Get("/health", Route(context, [&context](const auto& request, auto& response) {
             HandleHealth(context, request, response);
           }));
  http.Get("/api/v1/system/info", Route(context, [&context](const auto&, auto& response) {
             HandleSystemInfo(context, response);
           }));
  http.Get("/api/v1/system/stats", Route(context, [&context](const auto&, auto& response) {
             HandleSystemStats(context, response);
           }));
  http.Get("/api/v1/vector/stats", Route(context, [&context](const auto&, auto& response) {
             HandleVectorStats(context, response);
           }));
}

}  // namespace msearch::server

#include <filesystem>

#include <fmt/format.h>
#include <unistd.h>

#include "server/http_response.h"
#include "server/json_responses.h"
#include "server/request_params.h"
#include "server/server_context.h"
#include "server/watched_paths.h"

namespace msearch::server {
namespace {

// Enough to show what is in work without sending the whole queue.
constexpr size_t kMaxListedIndexingTasks = 50;

nlohmann::json DirectoryJson(const store::DirectoryRecord& directory) {
  return {
      {"id", directory.id},
      {"path", directory.path},
      {"recursive", directory.recursive},
      {"state", directory.state},
      {"error", directory.error ? nlohmann::json(*directory.error) : nlohmann::json(nullptr)},
      {"from_config", directory.from_config},
  };
}

std::filesystem::path RequireAbsolutePath(const httplib::Request& request,
                                          const std::string& name) {
  std::string text = RequireParam(request, name);
  if (text.find('\0') != std::string::npos) {
    throw BadRequest(fmt::format("invalid value for '{}': a path cannot contain a NUL byte", name),
                     {{"parameter", name}});
  }
  std::filesystem::path path = text;
  if (!path.is_absolute()) {
    throw BadRequest(
        fmt::format("invalid value '{}' for '{}': expected an absolute path", path.string(), name),
        {{"parameter", name}, {"value", path.string()}});
  }
  return path;
}

void HandleIndexStatus(ServerContext& context, httplib::Response& response) {
  DatabasePool::Lease lease = context.databases.Acquire();
  store::CatalogCounts counts = lease.catalog().Counts();
  queue::TaskQueue& queue = lease.queue();

  nlohmann::json tasks = nlohmann::json::array();
  int64_t active_tasks = 0;
  for (queue::TaskStatus status : {queue::TaskStatus::kProcessing, queue::TaskStatus::kPending}) {
    queue::TaskFilter filter;
    filter.status = status;
    filter.limit = kMaxListedIndexingTasks - std::min(tasks.size(), kMaxListedIndexingTasks);
    queue::TaskPage page = queue.List(filter);
    active_tasks += page.total;
    for (const queue::TaskRecord& task : page.tasks) tasks.push_back(TaskInfoJson(task));
  }

  WriteJson(response, {
                          {"total_files", counts.total},
                          {"indexed_files", counts.indexed},
                          {"pending_files", counts.pending + counts.processing},
                          {"processing_files", counts.processing},
                          {"failed_files", counts.failed},
                          {"files_by_type", counts.by_kind},
                          {"indexing_tasks", std::move(tasks)},
                          {"indexing_tasks_total", active_tasks},
                          {"timestamp", NowIso8601()},
                      });
}

void HandleAddDirectory(ServerContext& context, const httplib::Request& request,
                        httplib::Response& response) {
  std::filesystem::path requested = RequireAbsolutePath(request, "directory");
  bool recursive = BoolParam(request, "recursive", true);

  std::error_code error;
  std::filesystem::file_status status = std::filesystem::status(requested, error);
  if (!std::filesystem::exists(status)) {
    throw BadRequest(fmt::format("the directory '{}' does not exist", requested.string()),
                     {{"parameter", "directory"}, {"value", requested.string()}});
  }
  if (!std::filesystem::is_directory(status)) {
    throw BadRequest(fmt::format("'{}' is not a directory", requested.string()),
                     {{"parameter", "directory"}, {"value", requested.string()}});
  }
  if (access(requested.c_str(), R_OK | X_OK) != 0) {
    throw BadRequest(
        fmt::format("the directory '{}' is not readable by this user", requested.string()),
        {{"parameter", "directory"}, {"value", requested.string()}});
  }
  std::filesystem::path directory = std::filesystem::canonical(requested, error);
  if (error) {
    throw BadRequest(fmt::format("the directory '{}' cannot be resolved: {}", requested.string(),
                                 error.message()),
                     {{"parameter", "directory"}, {"value", requested.string()}});
  }

  DatabasePool::Lease lease = context.databases.Acquire();
  store::Catalog& catalog = lease.catalog();
  bool existed = catalog.FindDirectoryByPath(directory).has_value();
  store::DirectoryRecord record = catalog.AddDirectory(directory, recursive, false);

  bool notified = false;
  if (!existed && context.hooks.directories_changed) {
    notified = CallHook(context, "directories_changed", context.hooks.directories_changed);
  }
  context.logger->info("watched directory {} {} (id {}, recursive {})", record.path,
                       existed ? "already present" : "added", record.id, record.recursive);
  std::string message = existed ? fmt::format("'{}' is already watched", record.path)
                                : fmt::format("'{}' is now watched", record.path);
  WriteJson(response, SuccessBody(message, {{"directory", DirectoryJson(record)},
                                            {"created", !existed},
                                            {"monitor_notified", notified}}));
}

void HandleIndexFile(ServerContext& context, const httplib::Request& request,
                     httplib::Response& response) {
  std::filesystem::path path = RequireAbsolutePath(request, "file_path");

  DatabasePool::Lease lease = context.databases.Acquire();
  store::Catalog& catalog = lease.catalog();
  std::optional<store::DirectoryRecord> directory =
      FindWatchedDirectory(catalog.ListDirectories(), path);
  if (!directory) {
    throw Forbidden(
        fmt::format("'{}' is not inside a watched directory: add its folder first with POST "
                    "/api/v1/index/directory",
                    path.string()),
        {{"file_path", path.string()}});
  }

  std::error_code error;
  std::filesystem::file_status status = std::filesystem::status(path, error);
  if (!std::filesystem::exists(status)) {
    throw NotFound(fmt::format("the file '{}' does not exist", path.string()),
                   {{"file_path", path.string()}});
  }
  if (!std::filesystem::is_regular_file(status)) {
    throw BadRequest(fmt::format("'{}' is not a regular file", path.string()),
                     {{"parameter", "file_path"}, {"value", path.string()}});
  }

  std::optional<store::FileRecord> file = catalog.FindFileByPath(path.lexically_normal());
  bool notified = false;
  if (context.hooks.rescan_requested) {
    notified = CallHook(context, "rescan_requested",
                        [&context, id = directory->id] { context.hooks.rescan_requested(id); });
  }
  WriteJson(
      response,
      SuccessBody(fmt::format("rescan of '{}' requested for '{}'", directory->path, path.string()),
                  {{"file_path", path.lexically_normal().string()},
                   {"directory_id", directory->id},
                   {"file_uuid", file ? nlohmann::json(file->uuid) : nlohmann::json()},
                   {"monitor_notified", notified}}));
}

void HandleReindexAll(ServerContext& context, const httplib::Request& request,
                      httplib::Response& response) {
  std::optional<int64_t> directory_id =
      OptionalIntParam(request, "directory_id", 1, std::numeric_limits<int64_t>::max());
  DatabasePool::Lease lease = context.databases.Acquire();
  store::Catalog& catalog = lease.catalog();
  if (directory_id && !catalog.FindDirectory(*directory_id)) {
    throw NotFound(fmt::format("no watched directory with id {}", *directory_id),
                   {{"directory_id", *directory_id}});
  }

  bool notified = false;
  if (context.hooks.rescan_requested) {
    notified = CallHook(context, "rescan_requested",
                        [&context, directory_id] { context.hooks.rescan_requested(directory_id); });
  }
  std::string message = directory_id
                            ? fmt::format("rescan of watched directory {} requested", *directory_id)
                            : "rescan of all watched directories requested";
  WriteJson(response,
            SuccessBody(message, {{"directory_id",
                                   directory_id ? nlohmann::json(*directory_id) : nlohmann::json()},
                                  {"monitor_notified", notified}}));
}

}  // namespace

void RegisterIndexRoutes(ServerContext& context) {
  httplib::Server& http = context.http;
  http.Get("/api/v1/index/status", Route(context, [&context](const auto&, auto& response) {
             HandleIndexStatus(context, response);
           }));
  http.Post("/api/v1/index/directory",
            Route(context, [&context](const auto& request, auto& response) {
              HandleAddDirectory(context, request, response);
            }));
  http.Post("/api/v1/index/file", Route(context, [&context](const auto& request, auto& response) {
              HandleIndexFile(context, request, response);
            }));
  http.Post("/api/v1/index/reindex-all",
            Route(context, [&context](const auto& request, auto& response) {
              HandleReindexAll(context, request, response);
            }));
}

}  // namespace msearch::server

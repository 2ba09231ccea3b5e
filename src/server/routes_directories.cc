#include <charconv>
#include <functional>

#include <fmt/format.h>

#include "server/directory_actions.h"
#include "server/file_removal.h"
#include "server/http_response.h"
#include "server/json_responses.h"
#include "server/request_params.h"
#include "server/server_context.h"

namespace msearch::server {
namespace {

store::DirectoryRecord RequireDirectory(store::Catalog& catalog, const std::string& id_text) {
  int64_t id = 0;
  auto [end, error] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
  std::optional<store::DirectoryRecord> directory;
  if (error == std::errc() && end == id_text.data() + id_text.size()) {
    directory = catalog.FindDirectory(id);
  }
  if (!directory) {
    throw NotFound(fmt::format("no watched directory with id '{}'", id_text.substr(0, 100)),
                   {{"directory_id", id_text.substr(0, 100)}});
  }
  return *directory;
}

// A detached directory is kept only for its files, so it cannot be paused or
// scanned until it is added again.
void RequireAttached(const store::DirectoryRecord& directory, std::string_view action) {
  if (!directory.detached) return;
  throw Conflict(fmt::format("cannot {} directory {} '{}': it was removed with its data kept; add "
                             "it again with POST /api/v1/directories",
                             action, directory.id, directory.path),
                 {{"directory_id", directory.id}});
}

nlohmann::json DirectoryWithCounts(store::Catalog& catalog, queue::TaskQueue& queue,
                                   const store::DirectoryRecord& directory) {
  nlohmann::json entry = DirectoryJson(directory);
  entry["files"] = FileCountsJson(catalog.Counts(directory.id));
  entry["tasks_paused"] = queue.IsScopePaused(DirectoryScope(directory.id));
  return entry;
}

void NotifyMonitor(ServerContext& context) {
  if (context.hooks.directories_changed) {
    CallHook(context, "directories_changed", context.hooks.directories_changed);
  }
}

void HandleList(ServerContext& context, const httplib::Request& request,
                httplib::Response& response) {
  bool include_detached = BoolParam(request, "include_detached", false);
  DatabasePool::Lease lease = context.databases.Acquire();
  store::Catalog& catalog = lease.catalog();
  nlohmann::json directories = nlohmann::json::array();
  for (const store::DirectoryRecord& directory : catalog.ListDirectories()) {
    if (directory.detached && !include_detached) continue;
    directories.push_back(DirectoryWithCounts(catalog, lease.queue(), directory));
  }
  size_t total = directories.size();
  WriteJson(response, {{"total_directories", total},
                       {"directories", std::move(directories)},
                       {"timestamp", NowIso8601()}});
}

void HandleGet(ServerContext& context, const httplib::Request& request,
               httplib::Response& response) {
  DatabasePool::Lease lease = context.databases.Acquire();
  store::Catalog& catalog = lease.catalog();
  store::DirectoryRecord directory = RequireDirectory(catalog, request.matches[1]);
  WriteJson(response, DirectoryWithCounts(catalog, lease.queue(), directory));
}

void HandleAdd(ServerContext& context, const httplib::Request& request,
               httplib::Response& response) {
  nlohmann::json body = JsonObjectBody(request);
  std::string path_text = JsonString(body, "path", 1, 4096);
  std::filesystem::path directory = RequireReadableDirectory(path_text, "path");
  bool recursive = JsonBool(body, "recursive", context.config.processes.file_monitor.recursive);

  DatabasePool::Lease lease = context.databases.Acquire();
  store::Catalog& catalog = lease.catalog();
  AddedDirectory added = AddWatchedDirectory(context, catalog, directory, recursive);
  std::string message = added.created ? fmt::format("'{}' is now watched", added.record.path)
                                      : fmt::format("'{}' is already watched", added.record.path);
  WriteJson(response,
            SuccessBody(message,
                        {{"directory", DirectoryWithCounts(catalog, lease.queue(), added.record)},
                         {"created", added.created},
                         {"monitor_notified", added.monitor_notified}}),
            added.created ? 201 : 200);
}

void HandleRemove(ServerContext& context, const httplib::Request& request,
                  httplib::Response& response) {
  bool delete_data = BoolParam(request, "delete_data", true);
  DatabasePool::Lease lease = context.databases.Acquire();
  store::Catalog& catalog = lease.catalog();
  store::DirectoryRecord directory = RequireDirectory(catalog, request.matches[1]);

  nlohmann::json data = {
      {"directory_id", directory.id}, {"path", directory.path}, {"data_deleted", delete_data}};
  std::string message;
  if (delete_data) {
    std::vector<store::FileRecord> files = catalog.FilesInDirectory(directory.id);
    ThumbnailFiles thumbnails = CollectThumbnails(catalog, files);
    catalog.RemoveDirectory(directory.id);
    int64_t deleted = DeleteThumbnails(thumbnails, context.config.storage.thumbnail_dir);
    std::vector<int64_t> ids;
    for (const store::FileRecord& file : files) ids.push_back(file.id);
    if (!ids.empty() && context.hooks.files_removed) {
      CallHook(context, "files_removed", [&context, &ids] { context.hooks.files_removed(ids); });
    }
    data["files_removed"] = files.size();
    data["thumbnails_deleted"] = deleted;
    message = fmt::format("stopped watching '{}' and removed its {} files from the index",
                          directory.path, files.size());
  } else {
    catalog.DetachDirectory(directory.id);
    message = fmt::format(
        "stopped watching '{}'; its files stay in the index until removed with DELETE "
        "/api/v1/index/remove",
        directory.path);
  }
  // Tasks of a paused directory must not stay paused: they finish, or find
  // their file gone, and leave the queue.
  lease.queue().ResumeScope(DirectoryScope(directory.id));
  NotifyMonitor(context);
  if (directory.from_config) {
    message +=
        "; it is listed in processes.file_monitor.watched_dirs, so it is watched again "
        "at the next start unless removed there";
  }
  context.logger->info("directory {} '{}' removed (data deleted: {})", directory.id, directory.path,
                       delete_data);
  WriteJson(response, SuccessBody(message, std::move(data)));
}

void HandlePause(ServerContext& context, const httplib::Request& request,
                 httplib::Response& response) {
  DatabasePool::Lease lease = context.databases.Acquire();
  store::Catalog& catalog = lease.catalog();
  store::DirectoryRecord directory = RequireDirectory(catalog, request.matches[1]);
  RequireAttached(directory, "pause");
  bool was_paused = directory.state == "paused";
  catalog.SetDirectoryState(directory.id, "paused", std::nullopt);
  lease.queue().PauseScope(DirectoryScope(directory.id));
  if (!was_paused) NotifyMonitor(context);
  context.logger->info("directory {} '{}' paused", directory.id, directory.path);
  std::string message =
      was_paused ? fmt::format("'{}' is already paused", directory.path)
                 : fmt::format("paused '{}': it is not watched and its tasks wait until resumed",
                               directory.path);
  WriteJson(response,
            SuccessBody(message, DirectoryWithCounts(catalog, lease.queue(),
                                                     *catalog.FindDirectory(directory.id))));
}

void HandleResume(ServerContext& context, const httplib::Request& request,
                  httplib::Response& response) {
  DatabasePool::Lease lease = context.databases.Acquire();
  store::Catalog& catalog = lease.catalog();
  store::DirectoryRecord directory = RequireDirectory(catalog, request.matches[1]);
  RequireAttached(directory, "resume");
  bool was_paused = directory.state == "paused";
  // The file monitor scans a directory it starts watching again and then
  // sets its state.
  if (was_paused) catalog.SetDirectoryState(directory.id, "initializing", std::nullopt);
  lease.queue().ResumeScope(DirectoryScope(directory.id));
  if (was_paused) {
    NotifyMonitor(context);
    if (context.hooks.work_queued) {
      CallHook(context, "work_queued", [&context] { context.hooks.work_queued({}); });
    }
  }
  context.logger->info("directory {} '{}' resumed", directory.id, directory.path);
  std::string message = was_paused ? fmt::format("resumed '{}'", directory.path)
                                   : fmt::format("'{}' is not paused", directory.path);
  WriteJson(response,
            SuccessBody(message, DirectoryWithCounts(catalog, lease.queue(),
                                                     *catalog.FindDirectory(directory.id))));
}

void HandleRescan(ServerContext& context, const httplib::Request& request,
                  httplib::Response& response) {
  DatabasePool::Lease lease = context.databases.Acquire();
  store::DirectoryRecord directory = RequireDirectory(lease.catalog(), request.matches[1]);
  RequireAttached(directory, "rescan");
  if (directory.state == "paused") {
    throw Conflict(
        fmt::format("directory {} '{}' is paused: resume it first", directory.id, directory.path),
        {{"directory_id", directory.id}, {"state", directory.state}});
  }
  bool notified = false;
  if (context.hooks.rescan_requested) {
    notified = CallHook(context, "rescan_requested",
                        [&context, id = directory.id] { context.hooks.rescan_requested(id); });
  }
  WriteJson(response,
            SuccessBody(fmt::format("rescan of '{}' requested", directory.path),
                        {{"directory_id", directory.id}, {"monitor_notified", notified}}));
}

using Handler = void (*)(ServerContext&, const httplib::Request&, httplib::Response&);

httplib::Server::Handler Bind(ServerContext& context, Handler handler) {
  return Route(context,
               [&context, handler](const httplib::Request& request, httplib::Response& response) {
                 handler(context, request, response);
               });
}

}  // namespace

void RegisterDirectoryRoutes(ServerContext& context) {
  RouteRecordingServer& http = context.http;
  const std::string directory = R"(/api/v1/directories/([^/]+))";
  http.Get("/api/v1/directories", Bind(context, HandleList));
  http.Post("/api/v1/directories", Bind(context, HandleAdd));
  http.Get(directory, Bind(context, HandleGet));
  http.Delete(directory, Bind(context, HandleRemove));
  http.Post(directory + "/pause", Bind(context, HandlePause));
  http.Post(directory + "/resume", Bind(context, HandleResume));
  http.Post(directory + "/rescan", Bind(context, HandleRescan));
}

}  // namespace msearch::server

#include <filesystem>
#include <limits>
#include <set>

#include <fmt/format.h>

#include "server/directory_actions.h"
#include "server/file_removal.h"
#include "server/http_response.h"
#include "server/json_responses.h"
#include "server/request_params.h"
#include "server/server_context.h"
#include "server/watched_paths.h"

namespace msearch::server {
namespace {

// Enough to show what is in work without sending the whole queue.
constexpr size_t kMaxListedIndexingTasks = 50;
// Paths per POST /index/add and uuids per DELETE /index/remove.
constexpr size_t kMaxPathsPerRequest = 1000;
constexpr size_t kMaxUuidsPerRequest = 10000;
// Priorities of POST /index/add, in the queue's scale where 0 runs first.
constexpr int64_t kMinAddPriority = 1;
constexpr int64_t kMaxAddPriority = 10;
constexpr int64_t kDefaultAddPriority = 5;

std::filesystem::path RequireAbsolutePath(const std::string& text, const std::string& name) {
  if (text.find('\0') != std::string::npos) {
    throw BadRequest(fmt::format("invalid value for '{}': a path cannot contain a NUL byte", name),
                     {{"parameter", name}});
  }
  std::filesystem::path path = text;
  if (!path.is_absolute()) {
    throw BadRequest(
        fmt::format("invalid value '{}' for '{}': expected an absolute path", text, name),
        {{"parameter", name}, {"value", text}});
  }
  return path;
}

ApiError OutsideWatchedDirectories(const std::filesystem::path& path, const std::string& name) {
  return Forbidden(
      fmt::format("'{}' is not inside a watched directory: add its folder first with POST "
                  "/api/v1/index/directory",
                  path.string()),
      {{"parameter", name}, {"file_path", path.string()}});
}

bool RequestRescan(ServerContext& context, std::optional<int64_t> directory_id) {
  if (!context.hooks.rescan_requested) return false;
  return CallHook(context, "rescan_requested",
                  [&context, directory_id] { context.hooks.rescan_requested(directory_id); });
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
  std::filesystem::path directory =
      RequireReadableDirectory(RequireParam(request, "directory"), "directory");
  bool recursive = BoolParam(request, "recursive", true);

  DatabasePool::Lease lease = context.databases.Acquire();
  AddedDirectory added = AddWatchedDirectory(context, lease.catalog(), directory, recursive);
  std::string message = added.created ? fmt::format("'{}' is now watched", added.record.path)
                                      : fmt::format("'{}' is already watched", added.record.path);
  WriteJson(response, SuccessBody(message, {{"directory", DirectoryJson(added.record)},
                                            {"created", added.created},
                                            {"monitor_notified", added.monitor_notified}}));
}

void HandleIndexFile(ServerContext& context, const httplib::Request& request,
                     httplib::Response& response) {
  std::filesystem::path path = RequireAbsolutePath(RequireParam(request, "file_path"), "file_path");

  DatabasePool::Lease lease = context.databases.Acquire();
  store::Catalog& catalog = lease.catalog();
  std::optional<store::DirectoryRecord> directory =
      FindWatchedDirectory(WatchedDirectories(catalog), path);
  if (!directory) throw OutsideWatchedDirectories(path, "file_path");

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
  bool notified = RequestRescan(context, directory->id);
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

  bool notified = RequestRescan(context, directory_id);
  std::string message = directory_id
                            ? fmt::format("rescan of watched directory {} requested", *directory_id)
                            : "rescan of all watched directories requested";
  WriteJson(response,
            SuccessBody(message, {{"directory_id",
                                   directory_id ? nlohmann::json(*directory_id) : nlohmann::json()},
                                  {"monitor_notified", notified}}));
}

// One path of POST /index/add, checked before anything changes.
struct AddTarget {
  std::filesystem::path path;
  bool is_directory = false;
  std::optional<store::DirectoryRecord> watched;  // the watched directory containing it
};

AddTarget CheckAddTarget(const std::vector<store::DirectoryRecord>& watched,
                         const std::string& text, const std::string& name) {
  AddTarget target;
  target.path = RequireAbsolutePath(text, name).lexically_normal();
  std::error_code error;
  std::filesystem::file_status status = std::filesystem::status(target.path, error);
  if (!std::filesystem::exists(status)) {
    throw NotFound(fmt::format("'{}' does not exist", target.path.string()),
                   {{"parameter", name}, {"file_path", target.path.string()}});
  }
  target.is_directory = std::filesystem::is_directory(status);
  if (!target.is_directory && !std::filesystem::is_regular_file(status)) {
    throw BadRequest(fmt::format("'{}' is neither a regular file nor a directory", text),
                     {{"parameter", name}, {"value", text}});
  }
  if (target.is_directory) {
    std::filesystem::path real = RequireReadableDirectory(target.path.string(), name);
    for (const store::DirectoryRecord& directory : watched) {
      if (std::filesystem::path(directory.path) == real) target.watched = directory;
    }
    if (!target.watched) {
      std::optional<store::DirectoryRecord> parent = FindWatchedDirectory(watched, real);
      if (parent && parent->recursive) target.watched = parent;
    }
    target.path = real;
    return target;
  }
  target.watched = FindWatchedDirectory(watched, target.path);
  if (!target.watched) throw OutsideWatchedDirectories(target.path, name);
  return target;
}

// POST /index/add: watches new directories, rescans those already watched,
// and queues probe tasks at `priority` for catalogued files that are not
// indexed yet. Every path is checked before anything changes.
void HandleIndexAdd(ServerContext& context, const httplib::Request& request,
                    httplib::Response& response) {
  nlohmann::json body = JsonObjectBody(request);
  std::vector<std::string> paths = JsonStringList(body, "file_paths", 1, kMaxPathsPerRequest);
  bool recursive = JsonBool(body, "recursive", true);
  int priority = static_cast<int>(
      JsonInt(body, "priority", kDefaultAddPriority, kMinAddPriority, kMaxAddPriority));

  DatabasePool::Lease lease = context.databases.Acquire();
  store::Catalog& catalog = lease.catalog();
  std::vector<store::DirectoryRecord> watched = WatchedDirectories(catalog);
  std::vector<AddTarget> targets;
  for (size_t i = 0; i < paths.size(); ++i) {
    targets.push_back(CheckAddTarget(watched, paths[i], fmt::format("file_paths[{}]", i)));
  }

  nlohmann::json added = nlohmann::json::array();
  nlohmann::json files = nlohmann::json::array();
  std::set<int64_t> rescans;
  std::vector<queue::NewTask> tasks;
  for (const AddTarget& target : targets) {
    if (target.is_directory && !target.watched) {
      AddedDirectory directory = AddWatchedDirectory(context, catalog, target.path, recursive);
      added.push_back(DirectoryJson(directory.record));
      continue;
    }
    if (target.is_directory) {
      rescans.insert(target.watched->id);
      continue;
    }
    std::optional<store::FileRecord> file = catalog.FindFileByPath(target.path);
    nlohmann::json entry = {{"file_path", target.path.string()},
                            {"file_uuid", file ? nlohmann::json(file->uuid) : nlohmann::json()}};
    if (!file || !context.hooks.make_probe_task) {
      // The scan catalogues the file and queues its probe.
      rescans.insert(target.watched->id);
      entry["action"] = "rescan";
    } else if (file->status == "indexed") {
      entry["action"] = "already_indexed";
    } else {
      queue::NewTask task = context.hooks.make_probe_task(file->id, file->path, file->directory_id);
      task.priority = priority;
      tasks.push_back(std::move(task));
      entry["action"] = "queued";
    }
    files.push_back(std::move(entry));
  }

  int64_t queued = 0;
  if (!tasks.empty()) {
    std::vector<queue::EnqueueResult> results = lease.queue().EnqueueBatch(tasks);
    size_t next = 0;
    for (nlohmann::json& entry : files) {
      if (entry["action"] != "queued") continue;
      const queue::EnqueueResult& result = results[next++];
      if (result.outcome == queue::EnqueueOutcome::kRejectedFull) {
        entry["action"] = "queue_full";
        continue;
      }
      entry["task_id"] = result.task_id;
      if (result.outcome == queue::EnqueueOutcome::kDuplicate) entry["action"] = "already_queued";
      ++queued;
    }
    if (queued > 0 && context.hooks.work_queued) {
      CallHook(context, "work_queued", [&context] { context.hooks.work_queued({"probe"}); });
    }
  }
  nlohmann::json rescanned = nlohmann::json::array();
  for (int64_t id : rescans) {
    RequestRescan(context, id);
    rescanned.push_back(id);
  }

  context.logger->info("index add: {} paths, {} directories added, {} rescans, {} probe tasks",
                       paths.size(), added.size(), rescans.size(), queued);
  WriteJson(
      response,
      SuccessBody(fmt::format("{} paths accepted: {} directories added, {} rescans requested, "
                              "{} files queued at priority {}",
                              paths.size(), added.size(), rescans.size(), queued, priority),
                  {{"directories_added", std::move(added)},
                   {"rescanned_directory_ids", std::move(rescanned)},
                   {"files", std::move(files)},
                   {"priority", priority}}));
}

// DELETE /index/remove: removes files from the catalog with everything
// extracted from them. A file still on disk in a watched directory is
// catalogued again by the next scan.
void HandleIndexRemove(ServerContext& context, const httplib::Request& request,
                       httplib::Response& response) {
  nlohmann::json body = JsonObjectBody(request);
  std::vector<std::string> uuids = JsonStringList(body, "file_uuids", 1, kMaxUuidsPerRequest);

  DatabasePool::Lease lease = context.databases.Acquire();
  store::Catalog& catalog = lease.catalog();
  std::vector<store::FileRecord> files;
  nlohmann::json not_found = nlohmann::json::array();
  std::set<std::string> seen;
  for (const std::string& uuid : uuids) {
    if (!seen.insert(uuid).second) continue;
    std::optional<store::FileRecord> file = catalog.FindFileByUuid(uuid);
    if (file) {
      files.push_back(std::move(*file));
    } else {
      not_found.push_back(uuid);
    }
  }
  if (files.empty()) {
    throw NotFound("none of the given file_uuids is in the catalog", {{"not_found", not_found}});
  }

  int64_t thumbnails = 0;
  int64_t removed =
      RemoveCataloguedFiles(catalog, context.config.storage.thumbnail_dir, files, &thumbnails);
  std::vector<int64_t> ids;
  int64_t on_disk = 0;
  for (const store::FileRecord& file : files) {
    ids.push_back(file.id);
    std::error_code error;
    if (std::filesystem::exists(file.path, error)) ++on_disk;
  }
  if (context.hooks.files_removed) {
    CallHook(context, "files_removed", [&context, &ids] { context.hooks.files_removed(ids); });
  }
  context.logger->info("index remove: {} files removed, {} thumbnails deleted, {} unknown uuids",
                       removed, thumbnails, not_found.size());
  std::string message = fmt::format("removed {} files from the index", removed);
  if (on_disk > 0) {
    message += fmt::format(
        "; {} of them are still on disk and return at the next scan of their "
        "directory unless deleted or ignored",
        on_disk);
  }
  WriteJson(response, SuccessBody(message, {{"removed", removed},
                                            {"not_found", std::move(not_found)},
                                            {"thumbnails_deleted", thumbnails},
                                            {"still_on_disk", on_disk}}));
}

}  // namespace

void RegisterIndexRoutes(ServerContext& context) {
  RouteRecordingServer& http = context.http;
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
  http.Post("/api/v1/index/add", Route(context, [&context](const auto& request, auto& response) {
              HandleIndexAdd(context, request, response);
            }));
  http.Delete("/api/v1/index/remove",
              Route(context, [&context](const auto& request, auto& response) {
                HandleIndexRemove(context, request, response);
              }));
}

}  // namespace msearch::server

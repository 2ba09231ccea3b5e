#include "server/openapi_builders.h"
#include "server/openapi_components.h"

namespace msearch::server::openapi {
namespace {

Json TaskId() { return Path("task_id", String(), "The task's id"); }
Json DirectoryId() { return Path("directory_id", Integer(), "The directory's id"); }

}  // namespace

Json TaskPaths() {
  Json paths = Json::object();
  Json success = Json::object({{"200", JsonResponse(Ref("SuccessResponse"))}});
  paths["/api/v1/tasks"]["get"] = Operation(
      "Tasks", "List tasks, newest first",
      Json::array(
          {Query("task_type", String(), "Only this type"),
           Query("status",
                 Enum({"pending", "running", "completed", "failed", "cancelled", "waiting"}),
                 "Only this status"),
           Query("include_archived", Boolean(), "Default false"),
           Query("limit", IntRange(1, 1000), "Default 100"),
           Query("offset", Integer(), "Default 0")}),
      nullptr, Json::object({{"200", JsonResponse(Ref("TaskList"))}}), {400});

  paths["/api/v1/tasks/stats"]["get"] =
      Operation("Tasks", "Counts by status and type, queue length, throughput", nullptr, nullptr,
                Json::object({{"200", JsonResponse(Ref("TaskStats"))}}), {503});
  paths["/api/v1/tasks/thread-pool/status"]["get"] =
      Operation("Tasks", "Worker capacity and load", nullptr, nullptr,
                Json::object({{"200", JsonResponse(Ref("ThreadPoolStatus"))}}), {503});

  Json cancel = Json::object({{"200", JsonResponse(Ref("CancelResponse"))}});
  paths["/api/v1/tasks/cancel-all"]["post"] = Operation(
      "Tasks", "Cancel every pending task, and running ones on request", nullptr,
      FormBody(Object({{"cancel_running", Enum({"true", "false"}, "Default false")}}), false),
      cancel, {400});
  paths["/api/v1/tasks/cancel-by-type"]["post"] = Operation(
      "Tasks", "Cancel the tasks of one type", nullptr,
      FormBody(Object(
          {{"task_type", String()}, {"cancel_running", Enum({"true", "false"}, "Default false")}},
          {"task_type"})),
      cancel, {400});

  paths["/api/v1/tasks/{task_id}"]["get"] =
      Operation("Tasks", "One task", Json::array({TaskId()}), nullptr,
                Json::object({{"200", JsonResponse(Ref("TaskInfo"))}}), {404});
  paths["/api/v1/tasks/{task_id}"]["delete"] =
      Operation("Tasks", "Cancel a task", Json::array({TaskId()}), nullptr, success, {404, 409});

  const std::pair<const char*, const char*> kActions[] = {
      {"cancel", "Cancel a pending or running task"},
      {"pause", "Keep a task from being claimed"},
      {"resume", "Let a paused task be claimed again"},
      {"retry", "Queue a failed or cancelled task again"},
      {"archive", "Hide a finished task from lists and counts"},
  };
  for (const auto& [action, summary] : kActions) {
    paths[std::string("/api/v1/tasks/{task_id}/") + action]["post"] =
        Operation("Tasks", summary, Json::array({TaskId()}), nullptr, success, {404, 409});
  }

  paths["/api/v1/tasks/{task_id}/priority"]["post"] =
      Operation("Tasks", "Change a task's priority", Json::array({TaskId()}),
                FormBody(Object({{"priority", IntRange(0, 11, "0 runs first")}}, {"priority"})),
                success, {400, 404, 409});
  return paths;
}

Json SystemPaths() {
  Json paths = Json::object();
  Json success = Json::object({{"200", JsonResponse(Ref("SuccessResponse"))}});
  paths["/health"]["get"] =
      Operation("System", "Health of the API, the databases and each process", nullptr, nullptr,
                Json::object({{"200", JsonResponse(Ref("Health"))}}), {});
  paths["/api/v1/system/info"]["get"] =
      Operation("System", "Version, platform, models and stores", nullptr, nullptr,
                Json::object({{"200", JsonResponse(Ref("SystemInfo"))}}), {});
  paths["/api/v1/system/stats"]["get"] =
      Operation("System", "File, vector and task counts, memory and disk", nullptr, nullptr,
                Json::object({{"200", JsonResponse(Ref("SystemStats"))}}), {503});
  paths["/api/v1/vector/stats"]["get"] =
      Operation("System", "Vector counts per embedding space and index state", nullptr, nullptr,
                Json::object({{"200", JsonResponse(Ref("VectorStats"))}}), {503});
  paths["/api/v1/models"]["get"] =
      Operation("System", "Configured models per modality and installed models", nullptr, nullptr,
                Json::object({{"200", JsonResponse(Ref("Models"))}}), {503});
  paths["/api/v1/openapi.json"]["get"] =
      Operation("System", "This document", nullptr, nullptr,
                Json::object({{"200", JsonResponse(AnyObject("OpenAPI 3.0 document"))}}), {});
  paths["/api/v1/config"]["get"] =
      Operation("System", "The running configuration, token redacted", nullptr, nullptr,
                Json::object({{"200", JsonResponse(Ref("ConfigResponse"))}}), {});
  Json config_change = JsonBody(
      AnyObject("Settings with the nesting of the YAML file, e.g. {\"api\": {\"threads\": 8}}"));
  const char* kUpdated =
      "Saved and validated. data: file, backup, config, changed_keys, restart_required (keys "
      "that take effect at the next start), applied_now";
  paths["/api/v1/config"]["put"] = Operation(
      "System", "Replace the configuration file", nullptr, config_change,
      Json::object({{"200", JsonResponse(Ref("SuccessResponse"), kUpdated)}}), {400, 409});
  paths["/api/v1/config"]["patch"] = Operation(
      "System", "Change settings in the configuration file (null restores a default)", nullptr,
      config_change, Json::object({{"200", JsonResponse(Ref("SuccessResponse"), kUpdated)}}),
      {400, 409});
  Json stream = Json::object(
      {{"description",
        "A text/event-stream. The first event, snapshot, carries tasks, files, processes and "
        "directories; then tasks, files, file_changes, task_progress, process, directory and "
        "directory_removed events as they happen; resync when events were dropped; shutdown "
        "when the server stops. Comment lines keep idle connections open. Send Last-Event-ID "
        "to receive missed events."},
       {"content", Json::object({{"text/event-stream", Json::object({{"schema", String()}})}})}});
  paths["/api/v1/events"]["get"] =
      Operation("System", "Server-sent events of progress and state changes",
                Json::array({Parameter("header", "Last-Event-ID", Integer(),
                                       "The id of the last event received, to resume")}),
                nullptr, Json::object({{"200", stream}}), {503});

  paths["/api/v1/directories"]["get"] = Operation(
      "Directories", "Watched directories with file counts by status",
      Json::array({Query("include_detached", Boolean(), "Also list detached directories")}),
      nullptr, Json::object({{"200", JsonResponse(Ref("DirectoryList"))}}), {400});
  paths["/api/v1/directories"]["post"] = Operation(
      "Directories", "Watch a directory", nullptr,
      JsonBody(Object({{"path", String("Absolute path")},
                       {"recursive", Boolean("Default processes.file_monitor.recursive")}},
                      {"path"})),
      Json::object({{"200", JsonResponse(Ref("SuccessResponse"), "Already watched")},
                    {"201", JsonResponse(Ref("SuccessResponse"), "Now watched")}}),
      {400});
  paths["/api/v1/directories/{directory_id}"]["get"] =
      Operation("Directories", "One watched directory", Json::array({DirectoryId()}), nullptr,
                Json::object({{"200", JsonResponse(Ref("Directory"))}}), {404});
  paths["/api/v1/directories/{directory_id}"]["delete"] = Operation(
      "Directories", "Stop watching a directory",
      Json::array(
          {DirectoryId(), Query("delete_data", Boolean(),
                                "true (default): remove its files from the index with their "
                                "thumbnails and vectors; false: keep them searchable (detached)")}),
      nullptr, success, {400, 404});
  const std::pair<const char*, const char*> kActions[] = {
      {"pause", "Stop watching a directory and hold its tasks"},
      {"resume", "Watch a paused directory again and release its tasks"},
      {"rescan", "Scan a directory now"},
  };
  for (const auto& [action, summary] : kActions) {
    paths[std::string("/api/v1/directories/{directory_id}/") + action]["post"] = Operation(
        "Directories", summary, Json::array({DirectoryId()}), nullptr, success, {404, 409});
  }
  return paths;
}

}  // namespace msearch::server::openapi

#include "server/event_snapshot.h"

#include "common/clock.h"
#include "server/json_responses.h"
#include "server/system_status.h"

namespace msearch::server {

nlohmann::json TaskCountsJson(const queue::QueueStats& stats) {
  nlohmann::json by_status = nlohmann::json::object();
  for (const auto& [name, count] : stats.by_status) {
    std::optional<queue::TaskStatus> status = queue::ParseTaskStatus(name);
    by_status[status ? std::string(ApiStatusName(*status)) : name] = count;
  }
  return {
      {"by_status", std::move(by_status)}, {"queue_length", stats.pending},
      {"running", stats.running},          {"waiting", stats.waiting},
      {"paused", stats.paused_all},
  };
}

nlohmann::json FileChangeJson(const store::FileRecord& file) {
  return {
      {"file_uuid", file.uuid},
      {"file_path", file.path},
      {"file_name", file.name},
      {"file_type", file.kind},
      {"status", file.status},
      {"error", file.error ? nlohmann::json(*file.error) : nlohmann::json(nullptr)},
      {"directory_id", file.directory_id},
      {"updated_at", FormatIso8601(file.updated_at)},
  };
}

nlohmann::json TaskProgressJson(const queue::TaskRecord& task) {
  return {
      {"task_id", task.id},
      {"task_type", task.type},
      {"status", ApiStatusName(task.status)},
      {"progress", task.progress},
      {"file_path", task.file_path ? nlohmann::json(*task.file_path) : nlohmann::json(nullptr)},
  };
}

nlohmann::json ProcessEventJson(const nlohmann::json& process) {
  if (!process.is_object() || !process.contains("id") || !process["id"].is_string()) {
    return nullptr;
  }
  nlohmann::json event = {{"id", process["id"]}};
  for (const char* key : {"type", "status", "pid", "restarts", "error"}) {
    event[key] = process.value(key, nlohmann::json());
  }
  return event;
}

nlohmann::json StateSnapshot(ServerContext& context) {
  bool processes_ok = true;
  nlohmann::json processes = nlohmann::json::array();
  for (const nlohmann::json& process : ProcessList(context, &processes_ok)) {
    nlohmann::json entry = ProcessEventJson(process);
    if (!entry.is_null()) processes.push_back(std::move(entry));
  }

  DatabasePool::Lease lease = context.databases.Acquire();
  store::Catalog& catalog = lease.catalog();
  nlohmann::json directories = nlohmann::json::array();
  for (const store::DirectoryRecord& directory : catalog.ListDirectories()) {
    directories.push_back(DirectoryJson(directory));
  }
  return {
      {"tasks", TaskCountsJson(lease.queue().Stats())},
      {"files", FileCountsJson(catalog.Counts())},
      {"processes", std::move(processes)},
      {"directories", std::move(directories)},
  };
}

}  // namespace msearch::server

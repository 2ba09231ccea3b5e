#pragma once

#include <nlohmann/json.hpp>

#include "queue/task.h"
#include "server/server_context.h"
#include "store/catalog.h"

namespace msearch::server {

// The payloads of the server-sent events of GET /api/v1/events.

// Event "tasks": counts by status (API names), queue_length, running, waiting.
nlohmann::json TaskCountsJson(const queue::QueueStats& stats);

// One entry of event "file_changes": file_uuid, file_path, file_name,
// file_type, status, error, updated_at.
nlohmann::json FileChangeJson(const store::FileRecord& file);

// Event "task_progress": task_id, task_type, status, progress (0..1), file_path.
nlohmann::json TaskProgressJson(const queue::TaskRecord& task);

// Event "process": id, type, status, pid, restarts and error of one entry of
// the process table, or null when the entry has no string id.
nlohmann::json ProcessEventJson(const nlohmann::json& process);

// Event "snapshot", the first event of every stream: tasks, files (counts),
// processes and directories, as the events above report them.
nlohmann::json StateSnapshot(ServerContext& context);

}  // namespace msearch::server

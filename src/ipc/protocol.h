#pragma once

// Messages between the main process and its children (file monitor, task
// workers, embedding workers) over the main process's Unix domain socket.
// Each is a JSON object with a "type"; message.h describes the framing.
// Fields marked optional are left out when they have no value.
//
// child -> main
//   register   {type, process_id, process_type, pid}
//              First message on a new connection, so the main process can
//              map the connection to a process_states row.
//   heartbeat  {type, process_id, status: "idle"|"busy", current_task?,
//              rss_bytes?}  Sent periodically; a missing heartbeat marks the
//              child as hung.
//   progress   {type, process_id, task_id, progress: 0..1, message?}
//   event      {type, name, data}  A notification with a free-form data
//              object, for example the monitor's "files_changed" with counts.
//
// main -> child
//   wake       {type, task_types?: [...]}  New work is in the task queue. An
//              idle worker waits in IpcClient::Receive with a slow fallback
//              timeout (seconds) and polls the queue when woken or timed out,
//              so a lost wake only delays work. Without task_types, every
//              type may have new work.
//   shutdown   {type}  Finish or abandon the current task and exit.
//
// either way
//   ack        {type, request_type}  Confirms a message of `request_type`,
//              for example the main process acknowledges "register".
//
// Receivers should ignore fields they do not know, so that fields can be
// added without breaking older peers.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <sys/types.h>

namespace msearch::ipc {

inline constexpr char kTypeRegister[] = "register";
inline constexpr char kTypeHeartbeat[] = "heartbeat";
inline constexpr char kTypeProgress[] = "progress";
inline constexpr char kTypeEvent[] = "event";
inline constexpr char kTypeWake[] = "wake";
inline constexpr char kTypeShutdown[] = "shutdown";
inline constexpr char kTypeAck[] = "ack";

// Values of register's "process_type".
inline constexpr char kProcessFileMonitor[] = "file_monitor";
inline constexpr char kProcessTaskWorker[] = "task_worker";
inline constexpr char kProcessEmbeddingWorker[] = "embedding_worker";

// Values of heartbeat's "status".
inline constexpr char kStatusIdle[] = "idle";
inline constexpr char kStatusBusy[] = "busy";

// Name of the monitor's event after a batch of file changes. Its data contains
// counts such as {"added": 3, "modified": 1, "deleted": 0, "moved": 0}.
inline constexpr char kEventFilesChanged[] = "files_changed";

nlohmann::json MakeRegister(std::string_view process_id, std::string_view process_type, pid_t pid);

// `busy` selects status "busy" over "idle".
nlohmann::json MakeHeartbeat(std::string_view process_id, bool busy,
                             const std::optional<std::string>& current_task = std::nullopt,
                             std::optional<uint64_t> rss_bytes = std::nullopt);

// Clamps `progress` into [0, 1]; NaN becomes 0.
nlohmann::json MakeProgress(std::string_view process_id, std::string_view task_id, double progress,
                            const std::optional<std::string>& message = std::nullopt);

// `data` is sent as given; pass an object (the default is {}).
nlohmann::json MakeEvent(std::string_view name,
                         const nlohmann::json& data = nlohmann::json::object());

// An empty `task_types` leaves the field out, which means every task type.
nlohmann::json MakeWake(const std::vector<std::string>& task_types = {});

nlohmann::json MakeShutdown();

nlohmann::json MakeAck(std::string_view request_type);

}  // namespace msearch::ipc

#include "runtime/ipc_router.h"

#include <spdlog/spdlog.h>

#include "ipc/protocol.h"
#include "runtime/task_types.h"

namespace msearch::runtime {

IpcRouter::IpcRouter(ipc::IpcServer& server, queue::StateCache& state_cache)
    : server_(server), state_cache_(state_cache) {}

void IpcRouter::SetHeartbeatListener(std::function<void(const std::string&)> listener) {
  std::lock_guard lock(mutex_);
  heartbeat_listener_ = std::move(listener);
}

void IpcRouter::HandleMessage(ipc::ConnectionId connection, const nlohmann::json& message) {
  try {
    Route(connection, message);
  } catch (const nlohmann::json::exception& error) {
    // A field has the wrong type, such as a numeric process_id. The peer does
    // not follow the protocol, so its connection is closed.
    spdlog::warn("invalid IPC message on connection {}: {}; closing the connection", connection,
                 error.what());
    {
      std::lock_guard lock(mutex_);
      peers_.erase(connection);
    }
    server_.Close(connection);
  }
}

void IpcRouter::Route(ipc::ConnectionId connection, const nlohmann::json& message) {
  const std::string type = message.value("type", "");
  if (type == ipc::kTypeRegister) {
    Peer peer{message.value("process_id", ""), message.value("process_type", "")};
    int64_t pid = message.value("pid", int64_t{0});
    if (peer.process_id.empty()) {
      spdlog::warn("IPC connection {} registered without a process_id; closing it", connection);
      server_.Close(connection);
      return;
    }
    {
      std::lock_guard lock(mutex_);
      peers_[connection] = peer;
    }
    spdlog::info("{} ({}) registered on IPC connection {} with pid {}", peer.process_id,
                 peer.process_type, connection, pid);
    server_.Send(connection, ipc::MakeAck(ipc::kTypeRegister));
    return;
  }

  std::string process_id;
  std::function<void(const std::string&)> listener;
  {
    std::lock_guard lock(mutex_);
    auto it = peers_.find(connection);
    if (it != peers_.end()) process_id = it->second.process_id;
    listener = heartbeat_listener_;
  }

  if (type == ipc::kTypeHeartbeat) {
    std::string id = message.value("process_id", process_id);
    std::optional<int64_t> rss;
    if (message.contains("rss_bytes") && message["rss_bytes"].is_number_integer()) {
      rss = message["rss_bytes"].get<int64_t>();
    }
    state_cache_.Heartbeat(id, message.value("status", ipc::kStatusIdle), rss);
    if (message.contains("current_task") && message["current_task"].is_string()) {
      state_cache_.SetCurrentTask(id, message["current_task"].get<std::string>());
    } else {
      state_cache_.SetCurrentTask(id, std::nullopt);
    }
    if (listener) listener(id);
  } else if (type == ipc::kTypeProgress) {
    std::string task_id = message.value("task_id", "");
    if (!task_id.empty()) {
      state_cache_.UpdateTaskState(task_id, {{"progress", message.value("progress", 0.0)},
                                             {"message", message.value("message", "")},
                                             {"process_id", process_id}});
    }
  } else if (type == ipc::kTypeEvent) {
    std::string name = message.value("name", "");
    nlohmann::json data = message.value("data", nlohmann::json::object());
    if (name == ipc::kEventFilesChanged) {
      WakeWorkers({kTaskProbe});
    } else if (name == "tasks_queued") {
      std::vector<std::string> types;
      if (data.contains("task_types") && data["task_types"].is_array()) {
        for (const auto& value : data["task_types"]) {
          if (value.is_string()) types.push_back(value.get<std::string>());
        }
      }
      WakeWorkers(types);
    } else if (name == "directories_changed") {
      // From the CLI after 'msearch index DIR'.
      SendToType(ipc::kProcessFileMonitor, ipc::MakeEvent("reload_directories"));
    } else {
      spdlog::debug("event '{}' from {}", name, process_id);
    }
  } else if (type != ipc::kTypeAck) {
    spdlog::warn("unknown IPC message type '{}' from {} (connection {}); ignored", type,
                 process_id.empty() ? "an unregistered peer" : process_id, connection);
  }
}

void IpcRouter::HandleDisconnect(ipc::ConnectionId connection) {
  std::lock_guard lock(mutex_);
  auto it = peers_.find(connection);
  if (it == peers_.end()) return;
  spdlog::info("{} disconnected from IPC (connection {})", it->second.process_id, connection);
  peers_.erase(it);
}

void IpcRouter::WakeWorkers(const std::vector<std::string>& task_types) {
  bool for_task_workers = task_types.empty();
  bool for_embedding_workers = task_types.empty();
  for (const std::string& type : task_types) {
    if (std::find(kTaskWorkerTypes.begin(), kTaskWorkerTypes.end(), type) !=
        kTaskWorkerTypes.end()) {
      for_task_workers = true;
    }
    if (std::find(kEmbeddingWorkerTypes.begin(), kEmbeddingWorkerTypes.end(), type) !=
        kEmbeddingWorkerTypes.end()) {
      for_embedding_workers = true;
    }
  }
  nlohmann::json wake = ipc::MakeWake(task_types);
  if (for_task_workers) SendToType(ipc::kProcessTaskWorker, wake);
  if (for_embedding_workers) SendToType(ipc::kProcessEmbeddingWorker, wake);
}

void IpcRouter::SendToType(const std::string& process_type, const nlohmann::json& message) {
  std::vector<ipc::ConnectionId> targets;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [connection, peer] : peers_) {
      if (peer.process_type == process_type) targets.push_back(connection);
    }
  }
  for (ipc::ConnectionId connection : targets) server_.Send(connection, message);
}

}  // namespace msearch::runtime

#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ipc/server.h"
#include "queue/state_cache.h"

namespace msearch::runtime {

// The main process's side of the IPC protocol: remembers which child each
// connection belongs to, records registrations, heartbeats and progress in
// the state cache, and routes wake-ups and control messages to children.
// Thread-safe: the IPC server thread calls HandleMessage and
// HandleDisconnect; API threads call the Send functions.
class IpcRouter {
 public:
  IpcRouter(ipc::IpcServer& server, queue::StateCache& state_cache);

  // Called with each heartbeat's process id, to feed the supervisor.
  void SetHeartbeatListener(std::function<void(const std::string& process_id)> listener);

  void HandleMessage(ipc::ConnectionId connection, const nlohmann::json& message);
  void HandleDisconnect(ipc::ConnectionId connection);

  // Wakes idle workers that claim any of `task_types` (all workers when empty).
  void WakeWorkers(const std::vector<std::string>& task_types);
  // Sends an event to every connected child of `process_type`.
  void SendToType(const std::string& process_type, const nlohmann::json& message);

 private:
  void Route(ipc::ConnectionId connection, const nlohmann::json& message);

  struct Peer {
    std::string process_id;
    std::string process_type;
  };

  ipc::IpcServer& server_;
  queue::StateCache& state_cache_;
  std::mutex mutex_;
  std::map<ipc::ConnectionId, Peer> peers_;
  std::function<void(const std::string&)> heartbeat_listener_;
};

}  // namespace msearch::runtime

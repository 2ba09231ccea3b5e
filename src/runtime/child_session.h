#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>
#include <sys/types.h>

#include "config/config.h"
#include "ipc/client.h"

namespace msearch::runtime {

// Identity of a child process, from its command line.
struct ChildIdentity {
  std::string process_id;    // "task_worker_1"
  std::string process_type;  // task_worker, embedding_worker, file_monitor
  pid_t parent_pid = 0;
  std::filesystem::path socket_path;
};

// The connection every child process keeps with the main process. It sends
// "register" once and then a heartbeat every supervisor.heartbeat_interval
// seconds from a background thread, after running the heartbeat hook (which
// extends task leases, for example). SIGTERM or a "shutdown" message sets
// stop_requested().
class ChildSession {
 public:
  ChildSession(const config::Config& config, ChildIdentity identity);
  ~ChildSession();

  ChildSession(const ChildSession&) = delete;
  ChildSession& operator=(const ChildSession&) = delete;

  void SetHeartbeatHook(std::function<void()> hook);

  // Returns the next message other than "shutdown", or nullopt after
  // `timeout` or once a stop is requested. Returns at most 250 ms after a
  // SIGTERM. A lost connection to the main process requests a stop.
  std::optional<nlohmann::json> WaitForMessage(std::chrono::milliseconds timeout);

  // Sends a message to the main process; failures are logged, not thrown.
  void Send(const nlohmann::json& message);

  // Reports the task in progress (nullopt when idle) in the next heartbeat.
  void SetCurrentTask(const std::optional<std::string>& task_id);

  bool stop_requested() const;
  void RequestStop() { stop_requested_ = true; }

  const ChildIdentity& identity() const { return identity_; }
  // Worker id for queue ownership: process id and pid, unique among live workers.
  const std::string& worker_id() const { return worker_id_; }

 private:
  void HeartbeatLoop();

  const config::Config& config_;
  ChildIdentity identity_;
  std::string worker_id_;
  ipc::IpcClient client_;
  std::atomic<bool> stop_requested_{false};
  std::mutex mutex_;
  std::optional<std::string> current_task_;
  std::function<void()> heartbeat_hook_;
  std::thread heartbeat_thread_;
};

// Installs a SIGTERM/SIGINT handler that only sets a flag, read by
// ChildSession::stop_requested(). Call once at child start.
void InstallChildSignalHandlers();

}  // namespace msearch::runtime

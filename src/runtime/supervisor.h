#pragma once

#include <deque>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

#include "config/config.h"

namespace msearch::runtime {

// A child process that the main process starts and keeps running.
struct ChildSpec {
  std::string id;    // unique and stable across restarts: "task_worker_1"
  std::string type;  // file_monitor, task_worker, embedding_worker
  std::vector<std::string> args;
};

// A child's place in its life cycle:
//   starting -> running -> (crash) -> restarting -> starting ...
//   restarting -> error, after max_restarts crashes within restart_window
//   any -> stopping -> stopped, during shutdown
struct ChildStatus {
  ChildSpec spec;
  pid_t pid = 0;
  std::string state = "starting";
  int restarts = 0;
  double started_at = 0;      // Unix seconds of the current run
  double last_heartbeat = 0;  // Unix seconds, 0 before the first
  std::string last_exit;      // how the previous run ended
  std::optional<std::string> error;
};

// Starts the children, restarts those that die (with exponential backoff),
// gives up on one that keeps crashing, and stops them all in order.
//
// Tick() does the work; the main process calls it when SIGCHLD arrives and at
// least every few hundred milliseconds. Tick, Start and Shutdown run on one
// thread; RecordHeartbeat and Snapshot may be called from any thread.
class Supervisor {
 public:
  struct Callbacks {
    // After every state change, for the process table.
    std::function<void(const ChildStatus&)> state_changed;
    // After a child's process ended, during shutdown too; `pid` is the ended run.
    std::function<void(const ChildStatus&, pid_t pid)> child_exited;
  };

  Supervisor(const config::SupervisorConfig& config, std::filesystem::path executable,
             std::filesystem::path output_dir, Callbacks callbacks);

  void Add(ChildSpec spec);
  void StartAll();

  // Reaps ended children, schedules and performs restarts, and restarts
  // children whose heartbeat is older than heartbeat_timeout.
  void Tick();

  void RecordHeartbeat(const std::string& child_id);

  // Stops the children of each group in turn: SIGTERM to the group, then
  // SIGKILL to those still running after `group_timeout` seconds, or after
  // shutdown_timeout for the last group. Returns the ids of children that had
  // to be killed.
  std::vector<std::string> Shutdown(const std::vector<std::vector<std::string>>& type_groups);

  std::vector<ChildStatus> Snapshot() const;

 private:
  struct Child {
    ChildStatus status;
    std::deque<double> crash_times;
    double next_start_at = 0;  // monotonic seconds; 0 when no restart is due
    double started_monotonic = 0;
    double last_heartbeat_monotonic = 0;
  };

  void Start(Child& child);
  void HandleExit(Child& child, int wait_status);
  Child* FindByPid(pid_t pid);
  void Publish(const Child& child);

  const config::SupervisorConfig config_;
  const std::filesystem::path executable_;
  const std::filesystem::path output_dir_;
  Callbacks callbacks_;
  bool shutting_down_ = false;

  mutable std::mutex mutex_;  // guards children_ against Snapshot and RecordHeartbeat
  std::vector<Child> children_;
};

}  // namespace msearch::runtime

#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "server/server_context.h"

namespace msearch::server {

// Watches the catalog, the task queue and the process table while at least
// one event stream is open, and publishes what changed to context.events:
//   "tasks"             task counts changed;
//   "files"             file counts changed;
//   "file_changes"      files whose catalog entry changed: {files, truncated};
//   "task_progress"     a running task's progress changed;
//   "process"           a process's status, pid or restarts changed;
//   "directory"         a watched directory was added or its state changed;
//   "directory_removed" a watched directory is gone: {id, path}.
// Each poll, every context.event_options.poll_seconds, compares with the
// previous one, so changes that come and go between two polls are not seen.
// With no stream open it only sleeps.
//
// Thread safety: Start and Stop are called from one thread, and Activate from
// any thread.
class EventPoller {
 public:
  explicit EventPoller(ServerContext& context);
  ~EventPoller();

  EventPoller(const EventPoller&) = delete;
  EventPoller& operator=(const EventPoller&) = delete;

  void Start();
  // Stops the thread. Safe to call twice or without Start.
  void Stop();

  // Called by a new stream before it reads its snapshot. When no stream was
  // open, records the current state as the baseline of the next poll, so a
  // change made after the snapshot is published even if it lands before the
  // next poll.
  void Activate();

 private:
  void Run();
  // Reads the current state and publishes the differences. With `publish`
  // false it only records the baselines.
  void Poll(bool publish);
  void PollTasks(DatabasePool::Lease& lease, bool publish);
  void PollFiles(DatabasePool::Lease& lease, bool publish);
  void PollDirectories(DatabasePool::Lease& lease, bool publish);
  void PollProcesses(bool publish);
  void Publish(bool publish, const char* type, nlohmann::json data);

  // Maximum number of changed files that one "file_changes" event lists.
  // More set `truncated`.
  static constexpr int64_t kMaxFileChanges = 100;
  // Maximum number of running tasks whose progress is tracked.
  static constexpr size_t kMaxProgressTasks = 200;

  ServerContext& context_;

  std::mutex mutex_;  // guards stopping_
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;

  // Guards active_ and the baselines, which the poller thread and Activate use.
  std::mutex poll_mutex_;
  bool active_ = false;  // true when the baselines are current, so polls publish
  nlohmann::json tasks_;
  nlohmann::json files_;
  double files_updated_after_ = 0;
  std::map<std::string, double> progress_;
  std::map<int64_t, nlohmann::json> directories_;
  std::map<std::string, nlohmann::json> processes_;
};

}  // namespace msearch::server

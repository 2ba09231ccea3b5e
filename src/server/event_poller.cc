#include "server/event_poller.h"

#include <chrono>
#include <set>

#include "common/clock.h"
#include "common/logging.h"
#include "server/event_snapshot.h"
#include "server/json_responses.h"
#include "server/system_status.h"

namespace msearch::server {

EventPoller::EventPoller(ServerContext& context) : context_(context) {}

EventPoller::~EventPoller() { Stop(); }

void EventPoller::Start() {
  if (thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { Run(); });
}

void EventPoller::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void EventPoller::Activate() {
  std::lock_guard poll_lock(poll_mutex_);
  if (active_) return;
  Poll(false);
  active_ = true;
}

void EventPoller::Run() {
  LogRateLimiter limiter(3, std::chrono::seconds(60));
  const std::chrono::duration<double> interval(context_.event_options.poll_seconds);
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, interval, [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    try {
      std::lock_guard poll_lock(poll_mutex_);
      if (context_.events.open_streams() == 0) {
        active_ = false;
      } else {
        // Without Activate (a stream whose Activate threw), start over from
        // a baseline.
        Poll(active_);
        active_ = true;
      }
    } catch (const std::exception& error) {
      size_t suppressed = 0;
      if (limiter.Allow("poll", &suppressed)) {
        context_.logger->warn("event poll failed ({} similar messages suppressed): {}", suppressed,
                              error.what());
      }
    }
    lock.lock();
  }
}

void EventPoller::Poll(bool publish) {
  PollProcesses(publish);
  DatabasePool::Lease lease = context_.databases.Acquire();
  PollTasks(lease, publish);
  PollFiles(lease, publish);
  PollDirectories(lease, publish);
}

void EventPoller::Publish(bool publish, const char* type, nlohmann::json data) {
  if (publish) context_.events.Publish(type, std::move(data));
}

void EventPoller::PollTasks(DatabasePool::Lease& lease, bool publish) {
  queue::TaskQueue& queue = lease.queue();
  nlohmann::json tasks = TaskCountsJson(queue.Stats());
  if (tasks != tasks_) {
    Publish(publish && !tasks_.is_null(), "tasks", tasks);
    tasks_ = std::move(tasks);
  }

  queue::TaskFilter filter;
  filter.status = queue::TaskStatus::kProcessing;
  filter.limit = kMaxProgressTasks;
  std::map<std::string, double> progress;
  for (const queue::TaskRecord& task : queue.List(filter).tasks) {
    progress[task.id] = task.progress;
    auto previous = progress_.find(task.id);
    if (previous == progress_.end() || previous->second != task.progress) {
      Publish(publish, "task_progress", TaskProgressJson(task));
    }
  }
  progress_ = std::move(progress);
}

void EventPoller::PollFiles(DatabasePool::Lease& lease, bool publish) {
  store::Catalog& catalog = lease.catalog();
  nlohmann::json files = FileCountsJson(catalog.Counts());
  if (files != files_) {
    Publish(publish && !files_.is_null(), "files", files);
    files_ = std::move(files);
  }

  if (!publish) {
    // Writers stamp updated_at with the same clock, so changes from now on
    // are newer than this.
    files_updated_after_ = NowSeconds();
    return;
  }
  std::vector<store::FileRecord> changed =
      catalog.FilesUpdatedSince(files_updated_after_, kMaxFileChanges + 1);
  if (changed.empty()) return;
  bool truncated = static_cast<int64_t>(changed.size()) > kMaxFileChanges;
  if (truncated) changed.pop_back();
  nlohmann::json list = nlohmann::json::array();
  for (const store::FileRecord& file : changed) list.push_back(FileChangeJson(file));
  // After a burst (a scan) clients reload the list instead of receiving
  // every change, so the cursor skips the rest.
  files_updated_after_ = truncated ? NowSeconds() : changed.back().updated_at;
  Publish(publish, "file_changes", {{"files", std::move(list)}, {"truncated", truncated}});
}

void EventPoller::PollDirectories(DatabasePool::Lease& lease, bool publish) {
  std::map<int64_t, nlohmann::json> directories;
  for (const store::DirectoryRecord& directory : lease.catalog().ListDirectories()) {
    nlohmann::json entry = DirectoryJson(directory);
    auto previous = directories_.find(directory.id);
    if (previous == directories_.end() || previous->second != entry) {
      Publish(publish, "directory", entry);
    }
    directories[directory.id] = std::move(entry);
  }
  for (const auto& [id, entry] : directories_) {
    if (!directories.contains(id)) {
      Publish(publish, "directory_removed", {{"id", id}, {"path", entry["path"]}});
    }
  }
  directories_ = std::move(directories);
}

void EventPoller::PollProcesses(bool publish) {
  bool processes_ok = true;
  std::map<std::string, nlohmann::json> processes;
  for (const nlohmann::json& process : ProcessList(context_, &processes_ok)) {
    nlohmann::json entry = ProcessEventJson(process);
    if (entry.is_null()) continue;
    std::string id = entry["id"].get<std::string>();
    auto previous = processes_.find(id);
    if (previous == processes_.end() || previous->second != entry) {
      Publish(publish, "process", entry);
    }
    processes[id] = std::move(entry);
  }
  processes_ = std::move(processes);
}

}  // namespace msearch::server

#include "runtime/supervisor.h"

#include <algorithm>
#include <cmath>
#include <thread>

#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>

#include "common/clock.h"
#include "runtime/child_process.h"

namespace msearch::runtime {

Supervisor::Supervisor(const config::SupervisorConfig& config, std::filesystem::path executable,
                       std::filesystem::path output_dir, Callbacks callbacks)
    : config_(config),
      executable_(std::move(executable)),
      output_dir_(std::move(output_dir)),
      callbacks_(std::move(callbacks)) {}

void Supervisor::Add(ChildSpec spec) {
  std::lock_guard lock(mutex_);
  Child child;
  child.status.spec = std::move(spec);
  children_.push_back(std::move(child));
}

void Supervisor::StartAll() {
  for (Child& child : children_) Start(child);
}

void Supervisor::Start(Child& child) {
  ChildStatus& status = child.status;
  std::filesystem::path output = output_dir_ / (status.spec.id + ".out");
  pid_t pid = 0;
  try {
    pid = SpawnChild(executable_, status.spec.args, output);
  } catch (const std::exception& error) {
    spdlog::error("cannot start {}: {}", status.spec.id, error.what());
    HandleExit(child, W_EXITCODE(127, 0));
    return;
  }
  {
    std::lock_guard lock(mutex_);
    status.pid = pid;
    status.state = "running";
    status.started_at = NowSeconds();
    status.last_heartbeat = 0;
    child.started_monotonic = MonotonicSeconds();
    child.last_heartbeat_monotonic = child.started_monotonic;
    child.next_start_at = 0;
  }
  spdlog::info("started {} ({}) with pid {}", status.spec.id, status.spec.type, pid);
  Publish(child);
}

Supervisor::Child* Supervisor::FindByPid(pid_t pid) {
  for (Child& child : children_) {
    if (child.status.pid == pid) return &child;
  }
  return nullptr;
}

void Supervisor::HandleExit(Child& child, int wait_status) {
  const double now = MonotonicSeconds();
  pid_t ended_pid = child.status.pid;
  std::string how = DescribeExitStatus(wait_status);
  {
    std::lock_guard lock(mutex_);
    child.status.pid = 0;
    child.status.last_exit = how;
    if (shutting_down_) {
      child.status.state = "stopped";
    } else {
      child.crash_times.push_back(now);
      while (!child.crash_times.empty() &&
             now - child.crash_times.front() > config_.restart_window) {
        child.crash_times.pop_front();
      }
      int recent = static_cast<int>(child.crash_times.size());
      if (recent > config_.max_restarts) {
        child.status.state = "error";
        child.status.error = fmt::format(
            "{} {} times within {:.0f} s (last: {}); not restarted. Check "
            "logs/subprocesses/{}.log, then restart msearch",
            child.status.spec.id, recent, config_.restart_window, how, child.status.spec.id);
        child.next_start_at = 0;
      } else {
        double delay = std::min(config_.restart_backoff_max,
                                config_.restart_backoff_initial * std::pow(2.0, recent - 1));
        child.status.state = "restarting";
        child.next_start_at = now + delay;
      }
    }
  }
  if (shutting_down_) {
    spdlog::info("{} (pid {}) stopped: {}", child.status.spec.id, ended_pid, how);
  } else if (child.status.state == "error") {
    spdlog::error("giving up on {}: {}", child.status.spec.id, *child.status.error);
  } else {
    spdlog::warn("{} (pid {}) {}; restarting in {:.1f} s", child.status.spec.id, ended_pid, how,
                 child.next_start_at - now);
  }
  Publish(child);
  if (ended_pid > 0 && callbacks_.child_exited) {
    callbacks_.child_exited(child.status, ended_pid);
  }
}

void Supervisor::Tick() {
  int wait_status = 0;
  pid_t pid = 0;
  while ((pid = waitpid(-1, &wait_status, WNOHANG)) > 0) {
    if (Child* child = FindByPid(pid)) HandleExit(*child, wait_status);
  }
  if (shutting_down_) return;

  const double now = MonotonicSeconds();
  for (Child& child : children_) {
    if (child.status.state == "restarting" && child.next_start_at <= now) {
      {
        std::lock_guard lock(mutex_);
        ++child.status.restarts;
      }
      spdlog::info("restarting {} (restart {})", child.status.spec.id, child.status.restarts);
      Start(child);
    } else if (child.status.state == "running" && child.status.pid > 0) {
      // RecordHeartbeat writes this from the IPC thread.
      double last_heartbeat = 0;
      {
        std::lock_guard lock(mutex_);
        last_heartbeat = child.last_heartbeat_monotonic;
      }
      if (now - last_heartbeat <= config_.heartbeat_timeout) continue;
      spdlog::error("{} (pid {}) sent no heartbeat for {:.0f} s; killing it so it restarts",
                    child.status.spec.id, child.status.pid, now - last_heartbeat);
      kill(child.status.pid, SIGKILL);
      std::lock_guard lock(mutex_);
      // Avoid killing it again before the exit is reaped.
      child.last_heartbeat_monotonic = now;
    }
  }
}

void Supervisor::RecordHeartbeat(const std::string& child_id) {
  std::lock_guard lock(mutex_);
  for (Child& child : children_) {
    if (child.status.spec.id == child_id) {
      child.last_heartbeat_monotonic = MonotonicSeconds();
      child.status.last_heartbeat = NowSeconds();
    }
  }
}

std::vector<std::string> Supervisor::Shutdown(
    const std::vector<std::vector<std::string>>& type_groups) {
  shutting_down_ = true;
  std::vector<std::string> killed;
  for (size_t group_index = 0; group_index < type_groups.size(); ++group_index) {
    const auto& group = type_groups[group_index];
    auto in_group = [&](const Child& child) {
      return std::find(group.begin(), group.end(), child.status.spec.type) != group.end();
    };
    for (Child& child : children_) {
      if (!in_group(child)) continue;
      {
        std::lock_guard lock(mutex_);
        if (child.status.pid <= 0) {
          if (child.status.state != "error") child.status.state = "stopped";
          continue;
        }
        child.status.state = "stopping";
      }
      spdlog::info("stopping {} (pid {})", child.status.spec.id, child.status.pid);
      kill(child.status.pid, SIGTERM);
      Publish(child);
    }

    bool last_group = group_index + 1 == type_groups.size();
    double timeout =
        last_group ? config_.shutdown_timeout : std::min(1.0, config_.shutdown_timeout);
    double deadline = MonotonicSeconds() + timeout;
    auto any_running = [&] {
      return std::any_of(children_.begin(), children_.end(), [&](const Child& child) {
        return in_group(child) && child.status.pid > 0;
      });
    };
    while (any_running() && MonotonicSeconds() < deadline) {
      Tick();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    for (Child& child : children_) {
      if (!in_group(child) || child.status.pid <= 0) continue;
      spdlog::warn("{} (pid {}) did not stop within {:.1f} s; sending SIGKILL",
                   child.status.spec.id, child.status.pid, timeout);
      kill(child.status.pid, SIGKILL);
      killed.push_back(child.status.spec.id);
      int wait_status = 0;
      if (waitpid(child.status.pid, &wait_status, 0) > 0) HandleExit(child, wait_status);
    }
  }
  return killed;
}

std::vector<ChildStatus> Supervisor::Snapshot() const {
  std::lock_guard lock(mutex_);
  std::vector<ChildStatus> statuses;
  for (const Child& child : children_) statuses.push_back(child.status);
  return statuses;
}

void Supervisor::Publish(const Child& child) {
  if (!callbacks_.state_changed) return;
  ChildStatus copy;
  {
    std::lock_guard lock(mutex_);
    copy = child.status;
  }
  callbacks_.state_changed(copy);
}

}  // namespace msearch::runtime

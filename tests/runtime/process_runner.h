#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <sys/types.h>

namespace msearch::testing {

// The msearch executable of this build tree.
std::filesystem::path MsearchBinary();

// How to start a process: environment variables to add or replace, and files
// that receive its stdout and stderr (empty: /dev/null). Its stdin is
// /dev/null.
struct SpawnOptions {
  std::vector<std::pair<std::string, std::string>> env;
  std::filesystem::path stdout_path;
  std::filesystem::path stderr_path;
};

// A process started with posix_spawn (no shell) as the leader of a new
// process group. The destructor sends SIGKILL to that group and reaps the
// leader, so a failing test never leaves a process tree behind.
class SpawnedProcess {
 public:
  // Throws std::runtime_error when the process cannot be started.
  SpawnedProcess(const std::filesystem::path& executable, const std::vector<std::string>& args,
                 const SpawnOptions& options = {});
  ~SpawnedProcess();

  SpawnedProcess(const SpawnedProcess&) = delete;
  SpawnedProcess& operator=(const SpawnedProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool reaped() const { return wait_status_.has_value(); }

  // Waits up to `timeout` for the process to end and returns its wait status,
  // or nullopt when it is still running.
  std::optional<int> Wait(std::chrono::duration<double> timeout);
  // Sends `signal_number` to the process alone (not to its group).
  void Signal(int signal_number);
  // SIGKILL to the whole process group, then reaps the leader.
  void KillGroup();

 private:
  pid_t pid_ = 0;
  std::optional<int> wait_status_;
};

// Output of a finished command.
struct CommandResult {
  int exit_code = -1;   // -1 when it was killed by a signal or timed out
  int term_signal = 0;  // the signal that ended it, 0 when it exited
  bool timed_out = false;
  std::string out;
  std::string err;
};

// Runs `executable` with `args` to completion and captures stdout and stderr.
// After `timeout` the process group is killed and timed_out is set.
CommandResult RunCommand(const std::filesystem::path& executable,
                         const std::vector<std::string>& args,
                         const std::vector<std::pair<std::string, std::string>>& env = {},
                         std::chrono::duration<double> timeout = std::chrono::seconds(120));

// Calls `condition` every `interval` until it returns true or `timeout` has
// passed. Returns the last result.
bool WaitUntil(const std::function<bool()>& condition, std::chrono::duration<double> timeout,
               std::chrono::milliseconds interval = std::chrono::milliseconds(50));

// Processes that a test did not start itself (children of the product, or a
// daemon started by a script) but must not outlive it. When the guard goes
// out of scope each recorded process gets SIGKILL, but only if it is still
// the process that was recorded, so a recycled pid is never hit.
class KillGuard {
 public:
  KillGuard() = default;
  ~KillGuard();

  KillGuard(const KillGuard&) = delete;
  KillGuard& operator=(const KillGuard&) = delete;

  // A direct child of this process: killed and reaped if it still is one.
  void AddChild(pid_t pid);
  // Any process: killed, with its whole process group when `whole_group`,
  // if its command line still contains `marker`.
  void AddProcess(pid_t pid, std::string marker, bool whole_group);

 private:
  struct Entry {
    pid_t pid = 0;
    std::string marker;  // empty for a direct child
    bool whole_group = false;
  };
  std::vector<Entry> entries_;
};

// The parent pid of `pid` from /proc, or nullopt when the process is gone.
std::optional<pid_t> ParentPid(pid_t pid);

// The command line of `pid` with arguments joined by spaces, empty when the
// process is gone.
std::string CommandLine(pid_t pid);

std::string ReadFile(const std::filesystem::path& path);
void WriteFile(const std::filesystem::path& path, const std::string& content);

}  // namespace msearch::testing

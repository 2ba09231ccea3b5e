#include "process_runner.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/shared_data.h"
#include "support/temp_dir.h"

extern char** environ;

namespace msearch::testing {
namespace {

// The current environment with `overrides` added or replacing entries of the
// same name.
std::vector<std::string> BuildEnvironment(
    const std::vector<std::pair<std::string, std::string>>& overrides) {
  std::vector<std::string> entries;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string text = *entry;
    std::string name = text.substr(0, text.find('='));
    bool replaced = false;
    for (const auto& [key, value] : overrides) replaced = replaced || key == name;
    if (!replaced) entries.push_back(std::move(text));
  }
  for (const auto& [key, value] : overrides) entries.push_back(key + "=" + value);
  return entries;
}

std::vector<char*> PointerArray(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (std::string& text : strings) pointers.push_back(text.data());
  pointers.push_back(nullptr);
  return pointers;
}

}  // namespace

std::filesystem::path MsearchBinary() { return BinaryDir() / "src" / "cli" / "msearch"; }

SpawnedProcess::SpawnedProcess(const std::filesystem::path& executable,
                               const std::vector<std::string>& args, const SpawnOptions& options) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  std::string out = options.stdout_path.empty() ? "/dev/null" : options.stdout_path.string();
  std::string err = options.stderr_path.empty() ? "/dev/null" : options.stderr_path.string();
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);

  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setpgroup(&attributes, 0);
  sigset_t empty_mask;
  sigemptyset(&empty_mask);
  posix_spawnattr_setsigmask(&attributes, &empty_mask);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK);

  std::vector<std::string> argv_strings = {executable.string()};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv = PointerArray(argv_strings);
  std::vector<std::string> env_strings = BuildEnvironment(options.env);
  std::vector<char*> envp = PointerArray(env_strings);

  int rc = posix_spawn(&pid_, executable.c_str(), &actions, &attributes, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (rc != 0) {
    throw std::runtime_error("cannot start '" + executable.string() + "': " + strerror(rc));
  }
}

SpawnedProcess::~SpawnedProcess() { KillGroup(); }

std::optional<int> SpawnedProcess::Wait(std::chrono::duration<double> timeout) {
  if (wait_status_) return wait_status_;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int status = 0;
    pid_t result = waitpid(pid_, &status, WNOHANG);
    if (result == pid_) {
      wait_status_ = status;
      return wait_status_;
    }
    if (result < 0 && errno != EINTR) {
      throw std::runtime_error("waitpid(" + std::to_string(pid_) + ") failed: " + strerror(errno));
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void SpawnedProcess::Signal(int signal_number) {
  if (!wait_status_) kill(pid_, signal_number);
}

void SpawnedProcess::KillGroup() {
  if (pid_ <= 0) return;
  // The group may outlive its leader (children of a leader that exited), so
  // it is killed even after the leader was reaped.
  kill(-pid_, SIGKILL);
  if (!wait_status_) {
    int status = 0;
    if (waitpid(pid_, &status, 0) == pid_) wait_status_ = status;
  }
}

CommandResult RunCommand(const std::filesystem::path& executable,
                         const std::vector<std::string>& args,
                         const std::vector<std::pair<std::string, std::string>>& env,
                         std::chrono::duration<double> timeout) {
  TempDir capture;
  SpawnOptions options;
  options.env = env;
  options.stdout_path = capture / "stdout";
  options.stderr_path = capture / "stderr";
  CommandResult result;
  {
    SpawnedProcess process(executable, args, options);
    std::optional<int> status = process.Wait(timeout);
    if (!status) {
      result.timed_out = true;
      process.KillGroup();
    } else if (WIFEXITED(*status)) {
      result.exit_code = WEXITSTATUS(*status);
    } else if (WIFSIGNALED(*status)) {
      result.term_signal = WTERMSIG(*status);
    }
  }
  result.out = ReadFile(options.stdout_path);
  result.err = ReadFile(options.stderr_path);
  return result;
}

bool WaitUntil(const std::function<bool()>& condition, std::chrono::duration<double> timeout,
               std::chrono::milliseconds interval) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return condition();
    std::this_thread::sleep_for(interval);
  }
}

KillGuard::~KillGuard() {
  for (const Entry& entry : entries_) {
    if (entry.marker.empty()) {
      if (ParentPid(entry.pid) != getpid()) continue;
      kill(entry.pid, SIGKILL);
      waitpid(entry.pid, nullptr, 0);
    } else if (CommandLine(entry.pid).find(entry.marker) != std::string::npos) {
      kill(entry.whole_group ? -entry.pid : entry.pid, SIGKILL);
    }
  }
}

void KillGuard::AddChild(pid_t pid) {
  if (pid > 1) entries_.push_back({pid, "", false});
}

void KillGuard::AddProcess(pid_t pid, std::string marker, bool whole_group) {
  if (pid > 1 && !marker.empty()) entries_.push_back({pid, std::move(marker), whole_group});
}

std::optional<pid_t> ParentPid(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The command name in parentheses may contain spaces; fields follow the last ')'.
  size_t close = text.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(text.substr(close + 1));
  std::string state;
  pid_t parent = 0;
  if (!(fields >> state >> parent)) return std::nullopt;
  return parent;
}

std::string CommandLine(pid_t pid) {
  std::string text = ReadFile("/proc/" + std::to_string(pid) + "/cmdline");
  while (!text.empty() && text.back() == '\0') text.pop_back();
  for (char& c : text) {
    if (c == '\0') c = ' ';
  }
  return text;
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void WriteFile(const std::filesystem::path& path, const std::string& content) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  if (!out) throw std::runtime_error("cannot write '" + path.string() + "'");
}

}  // namespace msearch::testing

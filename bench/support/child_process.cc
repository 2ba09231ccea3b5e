#include "support/child_process.h"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <system_error>
#include <thread>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/clock.h"

extern char** environ;

namespace msearch::bench {
namespace {

std::vector<std::string> MergedEnvironment(const Environment& overrides) {
  std::map<std::string, std::string> variables;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string text = *entry;
    size_t equals = text.find('=');
    if (equals != std::string::npos) variables[text.substr(0, equals)] = text.substr(equals + 1);
  }
  for (const auto& [name, value] : overrides) variables[name] = value;
  std::vector<std::string> merged;
  for (const auto& [name, value] : variables) merged.push_back(name + "=" + value);
  return merged;
}

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (std::string& text : strings) pointers.push_back(text.data());
  pointers.push_back(nullptr);
  return pointers;
}

void Check(int result, const char* operation) {
  if (result != 0) throw std::system_error(result, std::generic_category(), operation);
}

}  // namespace

pid_t Spawn(const std::vector<std::string>& argv_strings, const std::filesystem::path& output,
            const Environment& environment_overrides, const std::filesystem::path& error_output) {
  std::vector<std::string> argv = argv_strings;
  std::vector<std::string> environment = MergedEnvironment(environment_overrides);
  std::vector<char*> argv_pointers = Pointers(argv);
  std::vector<char*> environment_pointers = Pointers(environment);

  posix_spawn_file_actions_t actions;
  Check(posix_spawn_file_actions_init(&actions), "posix_spawn_file_actions_init");
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  if (!output.empty()) {
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, output.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0644);
  }
  if (!error_output.empty()) {
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, error_output.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0644);
  } else if (!output.empty()) {
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  }
  pid_t pid = 0;
  int result = posix_spawnp(&pid, argv_pointers[0], &actions, nullptr, argv_pointers.data(),
                            environment_pointers.data());
  posix_spawn_file_actions_destroy(&actions);
  Check(result, ("posix_spawn " + argv.front()).c_str());
  return pid;
}

std::optional<int> TryReap(pid_t pid) {
  int status = 0;
  pid_t result = waitpid(pid, &status, WNOHANG);
  if (result == pid) return status;
  if (result < 0 && errno == ECHILD) return 0;
  return std::nullopt;
}

std::optional<int> WaitExit(pid_t pid, double timeout_seconds) {
  double deadline = MonotonicSeconds() + timeout_seconds;
  while (true) {
    if (std::optional<int> status = TryReap(pid)) return status;
    if (MonotonicSeconds() > deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

std::optional<double> TerminateAndWait(pid_t pid, double timeout_seconds) {
  double started = MonotonicSeconds();
  kill(pid, SIGTERM);
  if (WaitExit(pid, timeout_seconds)) return MonotonicSeconds() - started;
  kill(pid, SIGKILL);
  WaitExit(pid, 10);
  return std::nullopt;
}

bool ExitedCleanly(int status) { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }

}  // namespace msearch::bench

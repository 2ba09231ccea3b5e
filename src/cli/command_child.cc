#include <unistd.h>

#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "common/logging.h"
#include "config/config_loader.h"
#include "runtime/child_process.h"
#include "runtime/child_session.h"
#include "runtime/embedding_worker.h"
#include "runtime/monitor_process.h"
#include "runtime/task_worker.h"

namespace msearch::cli {
namespace {

struct ChildOptions {
  std::string role;
  std::string id;
  std::string socket;
  pid_t parent_pid = 0;
};

int RunChild(const GlobalOptions& global, const ChildOptions& options) {
  runtime::InstallChildSignalHandlers();
  if (options.parent_pid > 0 && !runtime::DieWithParent(options.parent_pid)) {
    return 1;  // The main process is already gone.
  }
  config::Config config = config::LoadConfig(global.config_path);
  LoggingOptions logging;
  logging.log_dir = config.logging.dir;
  logging.level = config.logging.level;
  logging.max_file_bytes = static_cast<size_t>(config.logging.max_file_mb) * 1024 * 1024;
  logging.max_files = static_cast<size_t>(config.logging.max_files);
  InitLogging(logging, options.id, std::filesystem::path("subprocesses") / (options.id + ".log"));

  runtime::ChildIdentity identity{options.id, options.role, options.parent_pid, options.socket};
  spdlog::info("{} starting (pid {})", options.id, getpid());
  try {
    if (options.role == "task_worker") return runtime::RunTaskWorker(config, identity);
    if (options.role == "embedding_worker") return runtime::RunEmbeddingWorker(config, identity);
    if (options.role == "file_monitor") return runtime::RunFileMonitor(config, identity);
  } catch (const std::exception& error) {
    spdlog::critical("{} failed: {}", options.id, error.what());
    return 1;
  }
  spdlog::critical("unknown child role '{}'", options.role);
  return 2;
}

}  // namespace

void RegisterChild(CLI::App& app, GlobalOptions& global, int* exit_code) {
  auto* command = app.add_subcommand(
      "child", "Run one child process of the main process (started by 'msearch serve')");
  command->group("");  // internal: hidden from --help
  auto options = std::make_shared<ChildOptions>();
  command->add_option("--role", options->role, "task_worker, embedding_worker or file_monitor")
      ->required()
      ->check(CLI::IsMember({"task_worker", "embedding_worker", "file_monitor"}));
  command->add_option("--id", options->id, "Process id, e.g. task_worker_1")->required();
  command->add_option("--socket", options->socket, "IPC socket of the main process")->required();
  command->add_option("--parent-pid", options->parent_pid, "Pid of the main process");
  command->callback([&global, exit_code, options] { *exit_code = RunChild(global, *options); });
}

}  // namespace msearch::cli

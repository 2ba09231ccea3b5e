#include "runtime/main_process.h"

#include <cerrno>
#include <fstream>

#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/error.h"
#include "common/logging.h"
#include "common/process_info.h"
#include "ipc/protocol.h"
#include "ipc/server.h"
#include "ipc/socket_path.h"
#include "queue/state_cache.h"
#include "queue/task_queue.h"
#include "runtime/instance_lock.h"
#include "runtime/ipc_router.h"
#include "runtime/leftover_cleanup.h"
#include "runtime/queue_options.h"
#include "runtime/scheduler.h"
#include "runtime/socket_location.h"
#include "runtime/supervisor.h"
#include "runtime/task_executor.h"
#include "server/api_server.h"
#include "server/search_setup.h"
#include "store/catalog.h"

namespace msearch::runtime {
namespace {

constexpr char kMainProcessId[] = "main";

// Blocks the signals the main loop reads from a signalfd, so they are never
// delivered asynchronously, and returns that descriptor.
int OpenSignalFd() {
  sigset_t mask;
  sigemptyset(&mask);
  for (int signal_number : {SIGTERM, SIGINT, SIGCHLD, SIGHUP}) sigaddset(&mask, signal_number);
  pthread_sigmask(SIG_BLOCK, &mask, nullptr);
  signal(SIGPIPE, SIG_IGN);
  int fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  if (fd < 0) throw Error(fmt::format("signalfd failed: {}", std::strerror(errno)));
  return fd;
}

std::vector<std::string> ChildArgs(const config::Config& config, const std::string& role,
                                   const std::string& id, const std::filesystem::path& socket) {
  std::vector<std::string> args = {"child",
                                   "--role",
                                   role,
                                   "--id",
                                   id,
                                   "--socket",
                                   socket.string(),
                                   "--parent-pid",
                                   std::to_string(getpid())};
  if (!config.source.empty()) {
    args.push_back("--config");
    args.push_back(config.source.string());
  }
  return args;
}

// Replaces `path` with `content` atomically, so readers never see half a file.
void WriteFileAtomically(const std::filesystem::path& path, const std::string& content) {
  std::filesystem::create_directories(path.parent_path());
  std::filesystem::path temporary = path;
  temporary += ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << content;
    if (!out) throw Error(fmt::format("cannot write '{}'", temporary.string()));
  }
  std::filesystem::rename(temporary, path);
}

nlohmann::json ProcessTable(const Supervisor& supervisor, double main_started_at) {
  nlohmann::json table = nlohmann::json::array();
  double now = NowSeconds();
  table.push_back({{"id", kMainProcessId},
                   {"type", "main"},
                   {"status", "running"},
                   {"pid", getpid()},
                   {"uptime", now - main_started_at},
                   {"restarts", 0},
                   {"rss", ResidentBytes(getpid()).value_or(0)},
                   {"pss", ProportionalBytes(getpid()).value_or(0)}});
  for (const ChildStatus& child : supervisor.Snapshot()) {
    nlohmann::json row = {{"id", child.spec.id},
                          {"type", child.spec.type},
                          {"status", child.state},
                          {"pid", child.pid},
                          {"uptime", child.pid > 0 ? now - child.started_at : 0.0},
                          {"restarts", child.restarts},
                          {"rss", child.pid > 0 ? ResidentBytes(child.pid).value_or(0) : 0},
                          {"pss", child.pid > 0 ? ProportionalBytes(child.pid).value_or(0) : 0},
                          {"last_heartbeat", child.last_heartbeat}};
    if (child.error) row["error"] = *child.error;
    if (!child.last_exit.empty()) row["last_exit"] = child.last_exit;
    table.push_back(std::move(row));
  }
  return table;
}

}  // namespace

std::filesystem::path ApiEndpointFile(const config::Config& config) {
  return config.storage.data_dir / "api.json";
}

int RunMainProcess(const config::Config& config, const ServeOptions& options) {
  const double started_at = NowSeconds();
  LoggingOptions logging;
  logging.log_dir = config.logging.dir;
  logging.level = config.logging.level;
  logging.max_file_bytes = static_cast<size_t>(config.logging.max_file_mb) * 1024 * 1024;
  logging.max_files = static_cast<size_t>(config.logging.max_files);
  logging.to_console = options.log_to_console;
  InitLogging(logging, "main", "main_process.log");
  spdlog::info("msearch {} starting (pid {}, config '{}')", MSEARCH_VERSION, getpid(),
               config.source.empty() ? "built-in defaults" : config.source.string());

  InstanceLock lock(config.storage.data_dir);
  int signal_fd = OpenSignalFd();

  // Create or migrate every database before any child opens it.
  store::Catalog catalog(config.storage.catalog_path);
  queue::TaskQueue queue(config.ipc.task_queue.path, QueueOptionsFromConfig(config));
  // This process has the data directory's lock, so no worker of an earlier
  // run is alive. Without this, tasks it left processing would wait for their
  // leases to expire.
  queue.RequeueAllProcessing("msearch restarted while the task was running");
  RemoveLeftovers(config, queue);
  queue::StateCacheOptions cache_options;
  cache_options.memory_capacity = static_cast<size_t>(config.ipc.state_cache.memory_capacity);
  queue::StateCache state_cache(config.ipc.state_cache.path, cache_options);
  for (const auto& stale : state_cache.ListProcesses()) state_cache.RemoveProcess(stale.process_id);
  queue::ProcessState main_state;
  main_state.process_id = kMainProcessId;
  main_state.process_type = "main";
  main_state.status = "starting";
  main_state.pid = getpid();
  main_state.started_at = started_at;
  state_cache.UpsertProcess(main_state);

  std::filesystem::path socket_path = ResolveSocketPath(config);
  ipc::CheckSocketPathLength(socket_path);
  ipc::PrepareSocketDir(socket_path.parent_path());
  ipc::IpcServer::Options ipc_options;
  ipc_options.socket_path = socket_path;
  ipc_options.max_message_bytes = static_cast<size_t>(config.ipc.local_ipc.max_message_bytes);
  ipc::IpcServer ipc_server(ipc_options);
  IpcRouter router(ipc_server, state_cache);
  ipc_server.SetMessageHandler([&router](ipc::ConnectionId id, const nlohmann::json& message) {
    router.HandleMessage(id, message);
  });
  ipc_server.SetDisconnectHandler([&router](ipc::ConnectionId id) { router.HandleDisconnect(id); });
  ipc_server.Start();
  spdlog::info("IPC socket listening at '{}'", socket_path.string());

  Supervisor::Callbacks callbacks;
  callbacks.state_changed = [&state_cache](const ChildStatus& child) {
    queue::ProcessState state;
    state.process_id = child.spec.id;
    state.process_type = child.spec.type;
    state.status = child.state;
    if (child.pid > 0) state.pid = child.pid;
    state.restarts = child.restarts;
    if (child.started_at > 0) state.started_at = child.started_at;
    if (child.last_heartbeat > 0) state.heartbeat = child.last_heartbeat;
    if (child.error) {
      state.last_error = child.error;
    } else if (!child.last_exit.empty()) {
      state.last_error = child.last_exit;
    }
    try {
      state_cache.UpsertProcess(state);
    } catch (const std::exception& error) {
      spdlog::error("cannot record the state of {}: {}", child.spec.id, error.what());
    }
  };
  // Used on the main thread only, where the supervisor runs.
  callbacks.child_exited = [&queue](const ChildStatus& child, pid_t pid) {
    if (child.spec.type == "file_monitor") return;
    std::string worker_id = fmt::format("{}:{}", child.spec.id, pid);
    int released =
        queue.RequeueWorker(worker_id, fmt::format("worker {} {}", child.spec.id, child.last_exit));
    if (released > 0) {
      spdlog::warn("returned {} task(s) of {} to the queue", released, worker_id);
    }
  };

  std::filesystem::path output_dir = config.logging.dir / "subprocesses";
  Supervisor supervisor(config.supervisor, ExecutablePath(), output_dir, callbacks);
  router.SetHeartbeatListener(
      [&supervisor](const std::string& process_id) { supervisor.RecordHeartbeat(process_id); });
  supervisor.Add({"file_monitor", ipc::kProcessFileMonitor,
                  ChildArgs(config, "file_monitor", "file_monitor", socket_path)});
  for (int i = 1; i <= config.processes.task_worker.num_instances; ++i) {
    std::string id = fmt::format("task_worker_{}", i);
    supervisor.Add(
        {id, ipc::kProcessTaskWorker, ChildArgs(config, "task_worker", id, socket_path)});
  }
  for (int i = 1; i <= config.processes.embedding_worker.num_instances; ++i) {
    std::string id = fmt::format("embedding_worker_{}", i);
    supervisor.Add(
        {id, ipc::kProcessEmbeddingWorker, ChildArgs(config, "embedding_worker", id, socket_path)});
  }
  supervisor.StartAll();

  // The vector indexes load in the background, so the API starts at once.
  server::SearchRuntime search(config, {});
  search.Start();

  server::ServerHooks hooks;
  hooks.files_removed = [&search](const std::vector<int64_t>& file_ids) {
    search.FilesRemoved(file_ids);
  };
  hooks.index_status = [&search] { return search.IndexStatus(); };
  hooks.query_models_loaded = [&search] { return search.LoadedModels(); };
  hooks.make_probe_task = [](int64_t file_id, const std::string& path, int64_t directory_id) {
    return MakeProbeTask(file_id, path, directory_id, "api");
  };
  hooks.process_status = [&supervisor, started_at] { return ProcessTable(supervisor, started_at); };
  hooks.directories_changed = [&router] {
    router.SendToType(ipc::kProcessFileMonitor, ipc::MakeEvent("reload_directories"));
  };
  hooks.work_queued = [&router](const std::vector<std::string>& types) {
    router.WakeWorkers(types);
  };
  hooks.rescan_requested = [&router](std::optional<int64_t> directory_id) {
    nlohmann::json data = nlohmann::json::object();
    if (directory_id) data["directory_id"] = *directory_id;
    router.SendToType(ipc::kProcessFileMonitor, ipc::MakeEvent("rescan", data));
  };
  server::ApiServer api(config, hooks);
  api.SetSearchService(search.service());
  try {
    api.Start();
  } catch (const std::exception& error) {
    spdlog::critical("cannot start the REST API: {}", error.what());
    supervisor.Shutdown(
        {{ipc::kProcessFileMonitor}, {ipc::kProcessTaskWorker, ipc::kProcessEmbeddingWorker}});
    ipc_server.Stop();
    throw;
  }
  spdlog::info("REST API listening on http://{}:{}", config.api.host, api.port());
  main_state.status = "running";
  state_cache.UpsertProcess(main_state);
  // Clients find the API here, which matters when api.port is 0 (any free port).
  std::filesystem::path endpoint_file = ApiEndpointFile(config);
  WriteFileAtomically(
      endpoint_file,
      nlohmann::json{{"host", config.api.host}, {"port", api.port()}, {"pid", getpid()}}.dump() +
          "\n");
  if (options.pid_file) WriteFileAtomically(*options.pid_file, fmt::format("{}\n", getpid()));

  Scheduler scheduler(config, state_cache, [&router](const std::vector<std::string>& types) {
    router.WakeWorkers(types);
  });
  // Work left from an earlier run (pending tasks) starts at once.
  router.WakeWorkers({});

  bool stopping = false;
  while (!stopping) {
    pollfd descriptor{signal_fd, POLLIN, 0};
    int ready = poll(&descriptor, 1, 250);
    if (ready > 0) {
      signalfd_siginfo info{};
      while (read(signal_fd, &info, sizeof(info)) == static_cast<ssize_t>(sizeof(info))) {
        if (info.ssi_signo == SIGTERM || info.ssi_signo == SIGINT) {
          spdlog::info("received {}; shutting down", strsignal(static_cast<int>(info.ssi_signo)));
          stopping = true;
        } else if (info.ssi_signo == SIGHUP) {
          spdlog::info("received SIGHUP; rescanning watched directories");
          router.SendToType(ipc::kProcessFileMonitor, ipc::MakeEvent("rescan"));
        }
      }
    }
    supervisor.Tick();
    if (!stopping) scheduler.RunDueJobs();
    search.UnloadIdleModels();
  }

  // Stop in dependency order: no new requests, then no new work, then the
  // workers, then the channels they used.
  main_state.status = "stopping";
  state_cache.UpsertProcess(main_state);
  api.Stop();
  supervisor.Shutdown(
      {{ipc::kProcessFileMonitor}, {ipc::kProcessTaskWorker, ipc::kProcessEmbeddingWorker}});
  ipc_server.Stop();
  // Saves the vector indexes, so the next start loads them instead of
  // rebuilding them from the catalog.
  search.Stop();
  main_state.status = "stopped";
  state_cache.UpsertProcess(main_state);
  std::error_code ignored;
  std::filesystem::remove(endpoint_file, ignored);
  if (options.pid_file) std::filesystem::remove(*options.pid_file, ignored);
  close(signal_fd);
  spdlog::info("msearch stopped after {:.1f} s", NowSeconds() - started_at);
  return 0;
}

}  // namespace msearch::runtime

#include "runtime/child_session.h"

#include <fmt/format.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "common/process_info.h"
#include "ipc/protocol.h"

namespace msearch::runtime {
namespace {

volatile sig_atomic_t g_signal_stop = 0;

void OnStopSignal(int) { g_signal_stop = 1; }

}  // namespace

void InstallChildSignalHandlers() {
  struct sigaction action {};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

ChildSession::ChildSession(const config::Config& config, ChildIdentity identity)
    : config_(config),
      identity_(std::move(identity)),
      worker_id_(fmt::format("{}:{}", identity_.process_id, getpid())),
      client_(static_cast<size_t>(config.ipc.local_ipc.max_message_bytes)) {
  client_.Connect(identity_.socket_path,
                  std::chrono::milliseconds(config.ipc.local_ipc.timeout * 1000));
  client_.Send(ipc::MakeRegister(identity_.process_id, identity_.process_type, getpid()));
  spdlog::info("{} (pid {}) connected to {}", identity_.process_id, getpid(),
               identity_.socket_path.string());
  heartbeat_thread_ = std::thread([this] { HeartbeatLoop(); });
}

ChildSession::~ChildSession() {
  stop_requested_ = true;
  client_.Shutdown();
  if (heartbeat_thread_.joinable()) heartbeat_thread_.join();
  client_.Close();
}

void ChildSession::SetHeartbeatHook(std::function<void()> hook) {
  std::lock_guard lock(mutex_);
  heartbeat_hook_ = std::move(hook);
}

bool ChildSession::stop_requested() const { return stop_requested_ || g_signal_stop != 0; }

void ChildSession::SetCurrentTask(const std::optional<std::string>& task_id) {
  std::lock_guard lock(mutex_);
  current_task_ = task_id;
}

void ChildSession::Send(const nlohmann::json& message) {
  try {
    client_.Send(message);
  } catch (const std::exception& error) {
    spdlog::warn("{}: cannot send '{}' to the main process: {}", identity_.process_id,
                 message.value("type", "?"), error.what());
  }
}

std::optional<nlohmann::json> ChildSession::WaitForMessage(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!stop_requested()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    // Short slices bound how long a SIGTERM goes unnoticed; the signal
    // handler cannot wake poll() reliably once it restarts.
    auto slice = std::min(left, std::chrono::milliseconds(250));
    try {
      std::optional<nlohmann::json> message = client_.Receive(slice);
      if (!message) continue;
      if (message->value("type", "") == ipc::kTypeShutdown) {
        spdlog::info("{}: shutdown requested by the main process", identity_.process_id);
        stop_requested_ = true;
        return std::nullopt;
      }
      return message;
    } catch (const std::exception& error) {
      spdlog::error("{}: connection to the main process lost: {}; stopping", identity_.process_id,
                    error.what());
      stop_requested_ = true;
    }
  }
  return std::nullopt;
}

void ChildSession::HeartbeatLoop() {
  auto interval = std::chrono::duration<double>(config_.supervisor.heartbeat_interval);
  auto next = std::chrono::steady_clock::now();
  while (!stop_requested()) {
    if (std::chrono::steady_clock::now() >= next) {
      std::function<void()> hook;
      std::optional<std::string> task;
      {
        std::lock_guard lock(mutex_);
        hook = heartbeat_hook_;
        task = current_task_;
      }
      if (hook) {
        try {
          hook();
        } catch (const std::exception& error) {
          spdlog::warn("{}: heartbeat hook failed: {}", identity_.process_id, error.what());
        }
      }
      Send(ipc::MakeHeartbeat(identity_.process_id, task.has_value(), task,
                              ResidentBytes(getpid())));
      next += std::chrono::duration_cast<std::chrono::steady_clock::duration>(interval);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

}  // namespace msearch::runtime

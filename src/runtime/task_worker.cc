#include "runtime/task_worker.h"

#include <atomic>
#include <set>

#include <malloc.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "common/clock.h"
#include "ipc/protocol.h"
#include "media/init.h"
#include "queue/task_queue.h"
#include "runtime/frame_handoff.h"
#include "runtime/queue_options.h"
#include "runtime/resource_limits.h"
#include "runtime/task_executor.h"
#include "runtime/task_types.h"
#include "store/catalog.h"

namespace msearch::runtime {
namespace {

// Exit code of a worker that abandoned a hung task; the supervisor restarts it.
constexpr int kExitTaskTimeout = 75;

// How long an idle worker sleeps when no wake message arrives; only a
// safety net, because the main process wakes workers when work is queued.
constexpr std::chrono::seconds kIdleFallback{5};

// Queues `follow_ups` and removes the shared memory blocks named by tasks
// that the queue did not accept (a copy is already queued, or the queue is
// full), because no consumer will see their names. When queuing throws, it
// removes the blocks of all of them and rethrows.
void EnqueueFollowUps(queue::TaskQueue& queue, const std::vector<queue::NewTask>& follow_ups) {
  std::vector<queue::EnqueueResult> results;
  try {
    results = queue.EnqueueBatch(follow_ups);
  } catch (...) {
    for (const queue::NewTask& task : follow_ups) UnlinkFrameBlocks(FrameBlocksOf(task.data));
    throw;
  }
  for (size_t i = 0; i < follow_ups.size() && i < results.size(); ++i) {
    if (results[i].outcome != queue::EnqueueOutcome::kEnqueued) {
      UnlinkFrameBlocks(FrameBlocksOf(follow_ups[i].data));
    }
  }
}

}  // namespace

int RunTaskWorker(const config::Config& config, const ChildIdentity& identity) {
  // libvips decodes on its own threads, and glibc gives each thread its own
  // malloc arena that keeps freed memory. Two arenas bound what an idle
  // worker keeps without slowing decoding.
  mallopt(M_ARENA_MAX, 2);
  ApplyMemoryLimit(config.processes.task_worker.memory_limit_mb, identity.process_id);
  TaskCpuBudget cpu_budget(config.processes.task_worker.task_cpu_limit);
  media::EnsureMediaInitialized();
  ChildSession session(config, identity);
  store::Catalog catalog(config.storage.catalog_path);
  queue::TaskQueue queue(config.ipc.task_queue.path, QueueOptionsFromConfig(config));
  TaskExecutor executor(config, catalog, {.queue_embeddings = true});

  // The heartbeat thread has its own queue connection: connections are used
  // by one thread at a time.
  queue::TaskQueue heartbeat_queue(config.ipc.task_queue.path, QueueOptionsFromConfig(config));
  std::atomic<double> task_started_at{0};
  std::string running_task_id;
  std::mutex running_mutex;
  session.SetHeartbeatHook([&] {
    heartbeat_queue.ExtendLeases(session.worker_id());
    double started = task_started_at.load();
    if (started <= 0) return;
    std::string message;
    int exit_code = 0;
    if (TaskCpuBudget::Exceeded()) {
      message =
          fmt::format("used more than {} s of CPU time (processes.task_worker.task_cpu_limit)",
                      cpu_budget.seconds());
      exit_code = TaskCpuBudget::kExitCpuLimit;
    } else if (MonotonicSeconds() - started > config.processes.task_worker.task_timeout) {
      message = fmt::format("timed out after {} s (processes.task_worker.task_timeout)",
                            config.processes.task_worker.task_timeout);
      exit_code = kExitTaskTimeout;
    } else {
      return;
    }
    std::string task_id;
    {
      std::lock_guard lock(running_mutex);
      task_id = running_task_id;
    }
    spdlog::error("{}: task {} {}; exiting so a fresh worker takes over", identity.process_id,
                  task_id, message);
    heartbeat_queue.Fail(task_id, session.worker_id(), message, /*retryable=*/true);
    _exit(exit_code);
  });

  spdlog::info("{} ready, claiming {}", identity.process_id, fmt::join(kTaskWorkerTypes, ", "));
  bool busy = false;
  while (!session.stop_requested()) {
    std::vector<queue::ClaimedTask> claimed =
        queue.Claim(session.worker_id(), kTaskWorkerTypes, /*max_count=*/1);
    if (claimed.empty()) {
      if (busy) {
        // Hand memory freed by the last batch back to the system while idle.
        malloc_trim(0);
        busy = false;
      }
      session.WaitForMessage(kIdleFallback);
      continue;
    }
    busy = true;

    const queue::ClaimedTask& task = claimed.front();
    {
      std::lock_guard lock(running_mutex);
      running_task_id = task.id;
    }
    session.SetCurrentTask(task.id);
    cpu_budget.Arm();
    task_started_at = MonotonicSeconds();
    double wall_start = MonotonicSeconds();

    std::vector<queue::NewTask> follow_ups;
    try {
      nlohmann::json result = executor.Run(task.type, task.data, &follow_ups);
      for (queue::NewTask& follow_up : follow_ups) {
        follow_up.sender = identity.process_id;
        follow_up.sender_type = identity.process_type;
      }
      if (!follow_ups.empty()) EnqueueFollowUps(queue, follow_ups);
      if (!queue.Complete(task.id, session.worker_id(), result)) {
        spdlog::warn("{}: task {} was cancelled or taken over before it completed",
                     identity.process_id, task.id);
      }
      spdlog::debug("{}: {} {} done in {:.3f} s", identity.process_id, task.type, task.id,
                    MonotonicSeconds() - wall_start);
    } catch (const TaskFailure& failure) {
      spdlog::warn("{}: {} task {} failed ({}): {}", identity.process_id, task.type, task.id,
                   failure.retryable() ? "will retry" : "permanent", failure.what());
      queue.Fail(task.id, session.worker_id(), failure.what(), failure.retryable());
    } catch (const std::exception& error) {
      spdlog::error("{}: {} task {} raised an unexpected error: {}", identity.process_id, task.type,
                    task.id, error.what());
      queue.Fail(task.id, session.worker_id(), error.what(), /*retryable=*/true);
    }
    task_started_at = 0;
    cpu_budget.Disarm();
    session.SetCurrentTask(std::nullopt);
    if (!follow_ups.empty()) {
      std::set<std::string> types;
      for (const queue::NewTask& follow_up : follow_ups) types.insert(follow_up.type);
      session.Send(ipc::MakeEvent("tasks_queued", {{"task_types", types}}));
    }
  }

  // Tasks claimed but not finished go back to the queue at once instead of
  // waiting for their lease to expire.
  int released = queue.RequeueWorker(session.worker_id(), "worker stopped");
  spdlog::info("{} stopping (released {} task(s))", identity.process_id, released);
  return 0;
}

}  // namespace msearch::runtime

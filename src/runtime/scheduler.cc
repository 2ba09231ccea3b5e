#include "runtime/scheduler.h"

#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "ipc/protocol.h"
#include "runtime/leftover_cleanup.h"
#include "runtime/model_paths.h"
#include "runtime/queue_options.h"
#include "runtime/task_executor.h"
#include "runtime/task_types.h"

namespace msearch::runtime {
namespace {

constexpr double kReconcileInterval = 30;
// A file must wait this long in 'pending' before the reconciler queues it, so
// it never races the monitor, which queues new files itself.
constexpr double kReconcileGrace = 10;
constexpr int64_t kReconcileBatch = 2000;
constexpr double kPurgeInterval = 3600;
// Delay between checks for newly installed models, in seconds.
constexpr double kModelCheckInterval = 2;
// Delay between sweeps of leftover frame blocks, in seconds.
constexpr double kLeftoverSweepInterval = 10;
// Minimum age in seconds of a temporary thumbnail removed after a worker
// restart. A writer usually finishes its file within a second, so an older
// one was left by the worker that died.
constexpr double kTemporaryFileAge = 30;
constexpr double kCompletedTaskRetention = 24 * 3600;

// Queues the task `make_task` builds for each of `files` that this run has
// not queued yet, records the ones the queue accepted in `queued_before`, and
// returns their count. A file whose task still waits (deduplicated) is not
// recorded, so a later pass tries it again.
template <typename File, typename MakeTask>
int QueueOncePerRun(queue::TaskQueue& queue, const std::vector<File>& files,
                    std::set<int64_t>& queued_before, MakeTask make_task) {
  std::vector<queue::NewTask> tasks;
  std::vector<int64_t> ids;
  for (const File& file : files) {
    if (queued_before.contains(file.id)) continue;
    queue::NewTask task = make_task(file);
    task.sender = "main";
    task.sender_type = "main";
    tasks.push_back(std::move(task));
    ids.push_back(file.id);
  }
  if (tasks.empty()) return 0;
  int queued = 0;
  std::vector<queue::EnqueueResult> results = queue.EnqueueBatch(tasks);
  for (size_t i = 0; i < results.size() && i < ids.size(); ++i) {
    if (results[i].outcome != queue::EnqueueOutcome::kEnqueued) continue;
    queued_before.insert(ids[i]);
    ++queued;
  }
  return queued;
}

// Passes walk the files by id and start again from the lowest after the
// last one, so files that keep failing never hide the others.
template <typename File>
int64_t NextCursor(const std::vector<File>& files) {
  return static_cast<int64_t>(files.size()) < kReconcileBatch ? 0 : files.back().id;
}

}  // namespace

Scheduler::Scheduler(const config::Config& config, queue::StateCache& state_cache,
                     std::function<void(const std::vector<std::string>&)> wake_workers)
    : config_(config),
      state_cache_(state_cache),
      wake_workers_(std::move(wake_workers)),
      catalog_(config.storage.catalog_path),
      queue_(config.ipc.task_queue.path, QueueOptionsFromConfig(config)) {
  double now = MonotonicSeconds();
  next_reconcile_ = now + kReconcileGrace;
  next_cleanup_ = now + config.ipc.state_cache.cleanup_interval;
  next_purge_ = now + 60;
}

void Scheduler::RunDueJobs() {
  double now = MonotonicSeconds();
  try {
    if (now >= next_model_check_) {
      next_model_check_ = now + kModelCheckInterval;
      EndModelWaits();
    }
    if (now >= next_leftover_sweep_) {
      next_leftover_sweep_ = now + kLeftoverSweepInterval;
      SweepLeftovers(now);
    }
    if (now >= next_reconcile_) {
      next_reconcile_ = now + kReconcileInterval;
      FailStaleProcessingFiles();
      int queued = ReconcilePendingFiles();
      if (queued > 0) spdlog::info("re-queued {} pending file(s) that had no task", queued);
      int analyses = ReconcileUnanalyzedFiles();
      if (analyses > 0) spdlog::info("re-queued the analysis of {} file(s)", analyses);
      int embeddings = ReconcileEmbeddings();
      if (embeddings > 0) spdlog::info("queued the embedding of {} file(s)", embeddings);
    }
    if (now >= next_cleanup_) {
      next_cleanup_ = now + config_.ipc.state_cache.cleanup_interval;
      int removed = state_cache_.CleanupOlderThan(config_.ipc.state_cache.cleanup_interval);
      spdlog::info("state cache cleanup removed {} task state(s)", removed);
    }
    if (now >= next_purge_) {
      next_purge_ = now + kPurgeInterval;
      int purged = queue_.Purge(kCompletedTaskRetention);
      if (purged > 0) spdlog::info("purged {} finished task(s) older than a day", purged);
    }
  } catch (const std::exception& error) {
    spdlog::error("housekeeping failed: {}; retrying at the next interval", error.what());
  }
}

int Scheduler::ReconcilePendingFiles() {
  store::FileFilter filter;
  filter.status = "pending";
  filter.limit = kReconcileBatch;
  double cutoff = NowSeconds() - kReconcileGrace;
  std::vector<queue::NewTask> tasks;
  for (const store::FileRecord& file : catalog_.ListFiles(filter)) {
    if (file.updated_at > cutoff) continue;
    tasks.push_back(MakeProbeTask(file.id, file.path, file.directory_id, "main"));
  }
  if (tasks.empty()) return 0;
  int queued = 0;
  for (const queue::EnqueueResult& result : queue_.EnqueueBatch(tasks)) {
    if (result.outcome == queue::EnqueueOutcome::kEnqueued) ++queued;
  }
  if (queued > 0) wake_workers_({kTaskProbe});
  return queued;
}

int Scheduler::ReconcileUnanalyzedFiles() {
  // An analyze task is queued right after the probe; only files that kept
  // no task for longer than any task may run need one again.
  double limit = config_.processes.task_worker.task_timeout +
                 config_.ipc.task_queue.lease_seconds * 2.0 + kReconcileGrace;
  std::vector<store::ExtractionStore::UnanalyzedFile> files =
      extraction_.UnanalyzedFiles(reanalyze_cursor_, NowSeconds() - limit, kReconcileBatch);
  reanalyze_cursor_ = NextCursor(files);
  int queued = QueueOncePerRun(queue_, files, reanalyzed_, [](const auto& file) {
    return MakeAnalyzeTask(file.id, file.path, file.directory_id);
  });
  if (queued > 0) wake_workers_({kTaskAnalyze});
  return queued;
}

int Scheduler::ReconcileEmbeddings() {
  return ReconcileEmbeddings(kEmbedImage) + ReconcileEmbeddings(kEmbedVideo) +
         ReconcileEmbeddings(kEmbedAudio);
}

int Scheduler::ReconcileEmbeddings(const std::string& modality) {
  const std::string& model = ModelForModality(config_, modality);
  if (!InstalledModelDir(config_, model)) return 0;
  const std::string space = EmbeddingSpace(model);
  int64_t& cursor = embedding_cursor_[modality];
  std::set<int64_t>& queued_before = embedding_queued_[modality];
  std::vector<store::EmbeddingStore::FileWithoutVectors> files;
  if (modality == kEmbedImage) {
    files = embeddings_.FilesWithoutVectors(space, "image", cursor, kReconcileBatch);
  } else {
    files = embeddings_.SegmentFilesWithoutVectors(
        space, modality == kEmbedVideo ? "video" : "audio", cursor, kReconcileBatch);
  }
  cursor = NextCursor(files);
  // A file whose embedding runs now has no vector yet. Queuing it again
  // would embed it twice, and when the running task's worker dies, the new
  // copy would supersede it and lose the frames it carries.
  std::set<std::string> running = queue_.ProcessingDedupeKeys(kTaskEmbed);
  std::erase_if(files, [&](const store::EmbeddingStore::FileWithoutVectors& file) {
    return running.contains(
        *MakeEmbedTask(file.id, file.path, file.directory_id, modality).dedupe_key);
  });
  int queued = QueueOncePerRun(queue_, files, queued_before, [&](const auto& file) {
    return MakeEmbedTask(file.id, file.path, file.directory_id, modality);
  });
  if (queued > 0) wake_workers_({kTaskEmbed});
  return queued;
}

void Scheduler::EndModelWaits() {
  int ended = 0;
  for (const char* modality : {kEmbedImage, kEmbedAudio}) {
    // When no model is configured any more, the wait ends too, and the
    // worker skips the tasks.
    const std::string& model = ModelForModality(config_, modality);
    if (model.empty() || InstalledModelDir(config_, model)) {
      ended += queue_.EndWait(ModelWaitKey(modality));
    }
  }
  if (ended > 0) wake_workers_({kTaskEmbed});
}

void Scheduler::SweepLeftovers(double now) {
  SweepHandoffBlocks(SharedBufferPrefixFor(config_), queue_, HandoffSweepOptionsFor(config_));

  bool restarted = false;
  for (const queue::ProcessState& process : state_cache_.ListProcesses()) {
    if (process.process_type != ipc::kProcessTaskWorker &&
        process.process_type != ipc::kProcessEmbeddingWorker) {
      continue;
    }
    if (!process.pid) continue;
    auto [known, inserted] = worker_pids_.try_emplace(process.process_id, *process.pid);
    if (!inserted && known->second != *process.pid) {
      known->second = *process.pid;
      restarted = true;
    }
  }
  if (restarted && next_thumbnail_sweep_ == 0) next_thumbnail_sweep_ = now + kTemporaryFileAge;
  if (next_thumbnail_sweep_ > 0 && now >= next_thumbnail_sweep_) {
    next_thumbnail_sweep_ = 0;
    int removed = RemoveTemporaryThumbnails(config_.storage.thumbnail_dir, kTemporaryFileAge);
    if (removed > 0) {
      spdlog::info("removed {} unfinished thumbnail(s) left by a worker that stopped", removed);
    }
  }
}

void Scheduler::FailStaleProcessingFiles() {
  // A worker marks a file 'processing' while it probes it. If the worker dies
  // and the task is then exhausted, nothing else resets the file.
  double limit =
      config_.processes.task_worker.task_timeout + config_.ipc.task_queue.lease_seconds * 2.0;
  double cutoff = NowSeconds() - limit;
  store::FileFilter filter;
  filter.status = "processing";
  filter.limit = kReconcileBatch;
  for (const store::FileRecord& file : catalog_.ListFiles(filter)) {
    if (file.updated_at > cutoff) continue;
    std::string error = fmt::format(
        "processing did not finish within {:.0f} s; the worker stopped or hung on this file. "
        "Run 'msearch index DIR' again to retry",
        limit);
    catalog_.StoreFileError(file.id, file.size, file.mtime_ns, error);
    spdlog::warn("file {} ('{}'): {}", file.uuid, file.path, error);
  }
}

}  // namespace msearch::runtime

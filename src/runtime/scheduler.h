#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "config/config.h"
#include "queue/state_cache.h"
#include "queue/task_queue.h"
#include "store/catalog.h"
#include "store/embedding_store.h"
#include "store/extraction_store.h"

namespace msearch::runtime {

// The main process's periodic housekeeping, run from its main loop:
//   - re-queues catalogued files that wait for processing without a task,
//     which happens after the queue reached max_size (back-pressure) or when
//     a task was lost;
//   - re-queues, once per run, the analysis of probed files that were never
//     analysed, for example after an upgrade or a lost task;
//   - every few seconds, makes the embed tasks that wait for a model
//     pending once that model is installed (TaskQueue::EndWait), so
//     installing a model needs no rescan;
//   - queues, once per run, the embedding of analysed images, video
//     segments and audio tracks that have no vector of the installed model
//     of their modality and no waiting task, for example files analysed by
//     an older version;
//   - every few seconds, removes the video frame blocks in shared memory
//     that no embedding worker will use (SweepHandoffBlocks), and after a
//     worker restarts, the thumbnails it left half-written;
//   - fails files left in 'processing' far beyond any task's time limit;
//   - removes old task states (ipc.state_cache.cleanup_interval) and
//     completed tasks older than a day.
class Scheduler {
 public:
  Scheduler(const config::Config& config, queue::StateCache& state_cache,
            std::function<void(const std::vector<std::string>&)> wake_workers);

  // Runs the jobs that are due. Cheap when none is.
  void RunDueJobs();

  // Queues probe tasks for every pending file now; returns how many were queued.
  int ReconcilePendingFiles();

 private:
  void FailStaleProcessingFiles();
  void EndModelWaits();
  void SweepLeftovers(double now);
  int ReconcileUnanalyzedFiles();
  int ReconcileEmbeddings();
  int ReconcileEmbeddings(const std::string& modality);

  const config::Config& config_;
  queue::StateCache& state_cache_;
  std::function<void(const std::vector<std::string>&)> wake_workers_;
  store::Catalog catalog_;
  queue::TaskQueue queue_;
  store::ExtractionStore extraction_{catalog_.database()};
  // Files whose analysis this run re-queued already. An analysis that keeps
  // failing is not retried again until msearch restarts.
  std::set<int64_t> reanalyzed_;
  int64_t reanalyze_cursor_ = 0;  // the next pass looks at files above this id
  store::EmbeddingStore embeddings_{catalog_.database()};
  // Files whose embedding this run queued, and the next pass's starting id,
  // per modality (image, video, audio).
  std::map<std::string, std::set<int64_t>> embedding_queued_;
  std::map<std::string, int64_t> embedding_cursor_;
  // Pid of each worker at the last sweep, by process id. A changed pid means
  // that the worker restarted.
  std::map<std::string, int64_t> worker_pids_;
  double next_thumbnail_sweep_ = 0;  // 0 when none is due
  double next_model_check_ = 0;
  double next_leftover_sweep_ = 0;
  double next_reconcile_ = 0;
  double next_cleanup_ = 0;
  double next_purge_ = 0;
};

}  // namespace msearch::runtime

#pragma once

#include <filesystem>
#include <string>

#include "config/config.h"
#include "queue/task_queue.h"

namespace msearch::runtime {

// Counts of the leftovers RemoveLeftovers removed.
struct LeftoverCounts {
  int temporary_files = 0;
  int shared_buffers = 0;
};

// The shared memory prefix of the msearch instance that owns
// storage.data_dir: "msearch." followed by a hash of the folder's path, so
// two instances on one machine never sweep each other's blocks.
std::string SharedBufferPrefixFor(const config::Config& config);

// Settings of SweepHandoffBlocks.
struct HandoffSweepOptions {
  // A block named by a task that has waited in the queue this long, in
  // seconds since the task was queued, is removed, and the embedding worker
  // then decodes the frames itself. This bounds how long frames sit in
  // memory.
  double max_wait_seconds = 900;
  // A block that no task names may still be filling in a live task worker
  // for this long (the analysis of one video).
  double producer_grace_seconds = 900;
  // Set when no process of the instance runs (at start). A block that no
  // queued task names is then removed, even when its creator's pid is alive
  // (reused by another process).
  bool at_startup = false;
};

// The options for `config`: the producer grace covers the longest task a
// task worker may run.
HandoffSweepOptions HandoffSweepOptionsFor(const config::Config& config);

// Removes the video frame blocks of shared memory prefix `prefix` that no
// embedding worker will use. These are blocks named only by tasks that
// finished (completed, failed, cancelled) or have waited longer than
// options.max_wait_seconds, and blocks that no task names whose creator died
// or that are older than options.producer_grace_seconds. A block named by a
// processing task, or by a pending or waiting one within the bound, stays.
// Blocks are listed before the queue is read, so a block handed over
// meanwhile is seen with its task. Logs each removal and returns the count.
int SweepHandoffBlocks(const std::string& prefix, queue::TaskQueue& queue,
                       const HandoffSweepOptions& options);

// Removes half-written thumbnails (NAME.tmp-UUID files under `folder`)
// last written more than `min_age_seconds` ago: a writer finishes its file
// within a second, so an older one belongs to a process that died. Returns
// the count.
int RemoveTemporaryThumbnails(const std::filesystem::path& folder, double min_age_seconds);

// Removes what processes of an earlier run may have left when they were
// killed: half-written thumbnails under storage.thumbnail_dir and the
// shared memory blocks of this instance that no task in `queue` still
// names. Call it only while holding the instance lock and before any child
// starts, after returning the tasks left processing to the queue. Logs what
// it removes.
LeftoverCounts RemoveLeftovers(const config::Config& config, queue::TaskQueue& queue);

}  // namespace msearch::runtime

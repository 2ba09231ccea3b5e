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
  // Maximum time in seconds since a waiting or pending task was queued that
  // its blocks are kept. After that, the blocks are removed and the embedding
  // worker decodes the frames itself. This bounds how long frames stay in
  // memory.
  double max_wait_seconds = 900;
  // Time in seconds that a live task worker may still be writing a block
  // that no task names yet (the analysis of one video).
  double producer_grace_seconds = 900;
  // True when no process of the instance runs, as at startup. A block that
  // no live task names is then removed even when its creator's pid is alive,
  // because another process reused the pid.
  bool at_startup = false;
};

// Returns the sweep options for `config`. The producer grace covers the
// longest task a task worker may run, plus two lease periods and 60 s.
HandoffSweepOptions HandoffSweepOptionsFor(const config::Config& config);

// Removes the video frame blocks of shared memory prefix `prefix` that no
// embedding worker will use, logs each removal and returns the count.
// Removed are the blocks named only by tasks that finished (completed,
// failed, cancelled) or waited longer than options.max_wait_seconds. Also
// removed are the blocks that no task names, once their creator died or
// they are older than options.producer_grace_seconds. A block named by a
// processing task, or by a pending or waiting one within the bound, is kept.
// Blocks are listed before the queue is read, so a block handed over
// meanwhile is seen with its task.
int SweepHandoffBlocks(const std::string& prefix, queue::TaskQueue& queue,
                       const HandoffSweepOptions& options);

// Removes half-written thumbnails (NAME.tmp-UUID files under `folder`)
// last written more than `min_age_seconds` ago and returns the count. A
// writer usually finishes its file within a second, so an older one belongs
// to a process that died.
int RemoveTemporaryThumbnails(const std::filesystem::path& folder, double min_age_seconds);

// Removes what processes of an earlier run may have left when they were
// killed: half-written thumbnails under storage.thumbnail_dir and the
// shared memory blocks of this instance that no task in `queue` still
// names. Call it only while holding the instance lock and before any child
// starts, after returning the tasks left processing to the queue. Logs what
// it removes.
LeftoverCounts RemoveLeftovers(const config::Config& config, queue::TaskQueue& queue);

}  // namespace msearch::runtime

#include "runtime/leftover_cleanup.h"

#include <cstdint>
#include <set>
#include <system_error>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include "common/clock.h"
#include "ipc/shared_buffer.h"
#include "runtime/frame_handoff.h"
#include "runtime/task_types.h"

namespace msearch::runtime {
namespace {

// FNV-1a: stable across builds and machines, unlike std::hash.
uint64_t Fnv1a(const std::string& text) {
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

double ModifiedAt(const std::filesystem::path& path) {
  struct stat info {};
  if (stat(path.c_str(), &info) != 0) return 0;
  return static_cast<double>(info.st_mtim.tv_sec) + static_cast<double>(info.st_mtim.tv_nsec) / 1e9;
}

}  // namespace

std::string SharedBufferPrefixFor(const config::Config& config) {
  return fmt::format("msearch.{:016x}", Fnv1a(config.storage.data_dir.lexically_normal().string()));
}

HandoffSweepOptions HandoffSweepOptionsFor(const config::Config& config) {
  HandoffSweepOptions options;
  options.producer_grace_seconds =
      config.processes.task_worker.task_timeout + 2.0 * config.ipc.task_queue.lease_seconds + 60;
  return options;
}

int SweepHandoffBlocks(const std::string& prefix, queue::TaskQueue& queue,
                       const HandoffSweepOptions& options) {
  std::vector<ipc::SharedBufferInfo> blocks = ipc::ListSharedBuffers(prefix);
  if (blocks.empty()) return 0;

  const double now = NowSeconds();
  std::set<std::string> handed_over;  // named by a task
  std::set<std::string> in_use;       // named by a task that may still run
  for (const queue::TaskRecord& task :
       queue.TasksWithDataKey(kTaskEmbed, "blocks", now - options.producer_grace_seconds)) {
    bool live = task.status == queue::TaskStatus::kProcessing ||
                ((task.status == queue::TaskStatus::kPending ||
                  task.status == queue::TaskStatus::kWaiting) &&
                 now - task.created_at <= options.max_wait_seconds);
    for (const std::string& name : FrameBlocksOf(task.data)) {
      handed_over.insert(name);
      if (live) in_use.insert(name);
    }
  }

  int removed = 0;
  for (const ipc::SharedBufferInfo& block : blocks) {
    if (in_use.contains(block.name)) continue;
    std::string reason;
    if (handed_over.contains(block.name)) {
      reason = "its task finished or waited too long";
    } else if (options.at_startup || !block.creator_alive) {
      reason =
          fmt::format("process {} created it and stopped before handing it over", block.creator);
    } else if (now - block.modified_at > options.producer_grace_seconds) {
      reason = fmt::format("no task named it within {:.0f} s", options.producer_grace_seconds);
    } else {
      continue;  // most likely still being written
    }
    if (ipc::SharedBuffer::Unlink(block.name)) {
      spdlog::info("removed shared buffer {} ({} KiB): {}", block.name, block.bytes >> 10, reason);
      ++removed;
    }
  }
  return removed;
}

int RemoveTemporaryThumbnails(const std::filesystem::path& folder, double min_age_seconds) {
  std::error_code error;
  if (!std::filesystem::is_directory(folder, error)) return 0;
  const double cutoff = NowSeconds() - min_age_seconds;
  int removed = 0;
  auto entries = std::filesystem::recursive_directory_iterator(
      folder, std::filesystem::directory_options::skip_permission_denied, error);
  for (auto it = entries; !error && it != std::filesystem::recursive_directory_iterator();
       it.increment(error)) {
    if (!it->is_regular_file(error)) continue;
    if (it->path().filename().string().find(".tmp-") == std::string::npos) continue;
    if (ModifiedAt(it->path()) > cutoff) continue;
    std::error_code remove_error;
    if (std::filesystem::remove(it->path(), remove_error)) {
      ++removed;
    } else if (remove_error) {
      spdlog::warn("failed to remove the unfinished thumbnail '{}': {}", it->path().string(),
                   remove_error.message());
    }
  }
  if (error) {
    spdlog::warn("failed to look for unfinished thumbnails in '{}': {}", folder.string(),
                 error.message());
  }
  return removed;
}

LeftoverCounts RemoveLeftovers(const config::Config& config, queue::TaskQueue& queue) {
  LeftoverCounts counts;
  // No process of this instance runs yet, so every temporary file is left over.
  counts.temporary_files = RemoveTemporaryThumbnails(config.storage.thumbnail_dir, -1e9);
  HandoffSweepOptions options = HandoffSweepOptionsFor(config);
  options.at_startup = true;
  counts.shared_buffers = SweepHandoffBlocks(SharedBufferPrefixFor(config), queue, options);
  if (counts.temporary_files > 0 || counts.shared_buffers > 0) {
    spdlog::info(
        "removed {} unfinished thumbnail(s) and {} shared memory block(s) left by an "
        "earlier run",
        counts.temporary_files, counts.shared_buffers);
  }
  return counts;
}

}  // namespace msearch::runtime

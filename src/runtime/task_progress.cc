#include "runtime/task_progress.h"

#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "ipc/protocol.h"

namespace msearch::runtime {
namespace {

// Minimum time in seconds between two reports. It is often enough for a
// progress bar and keeps the queue writes rare.
constexpr double kReportInterval = 1.0;

}  // namespace

TaskProgress::TaskProgress(queue::TaskQueue& queue, ChildSession& session, std::string task_id)
    : queue_(queue), session_(session), task_id_(std::move(task_id)) {}

bool TaskProgress::Report(double fraction, const std::optional<std::string>& message) {
  if (!ours_) return false;
  double now = MonotonicSeconds();
  if (reported_ && now - last_report_ < kReportInterval) return true;
  reported_ = true;
  last_report_ = now;
  ours_ = queue_.Progress(task_id_, session_.worker_id(), fraction);
  if (!ours_) {
    spdlog::info("{}: task {} was cancelled or taken over, so this worker stops it",
                 session_.identity().process_id, task_id_);
    return false;
  }
  session_.Send(ipc::MakeProgress(session_.identity().process_id, task_id_, fraction, message));
  return true;
}

}  // namespace msearch::runtime

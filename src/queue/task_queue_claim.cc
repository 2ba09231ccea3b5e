#include <algorithm>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/error.h"
#include "queue/sql_helpers.h"
#include "queue/task_queue.h"
#include "queue/task_queue_statements.h"

namespace msearch::queue {
namespace {

using internal::ResetOnExit;

struct Candidate {
  int64_t seq = 0;
  std::string type;
};

// JSON array text for json_each(); nullopt (SQL NULL) for "any type".
std::optional<std::string> TypesJson(std::span<const std::string> types) {
  if (types.empty()) return std::nullopt;
  return internal::DumpJson(nlohmann::json(std::vector<std::string>(types.begin(), types.end())));
}

// Types whose running limit is reached, as a JSON array for json_each().
std::string FullTypesJson(const std::map<std::string, int64_t>& type_room) {
  nlohmann::json full = nlohmann::json::array();
  for (const auto& [type, room] : type_room) {
    if (room <= 0) full.push_back(type);
  }
  return internal::DumpJson(full);
}

std::vector<Candidate> FindCandidates(store::Statement& query, double now,
                                      const std::optional<std::string>& include_types,
                                      const std::string& exclude_types, size_t limit) {
  ResetOnExit reset(query);
  query.Bind(1, now)
      .Bind(2, include_types)
      .Bind(3, exclude_types)
      .Bind(4, static_cast<int64_t>(limit));
  std::vector<Candidate> candidates;
  while (query.Step()) candidates.push_back({query.ColumnInt(0), query.ColumnText(1)});
  return candidates;
}

}  // namespace

void TaskQueue::RequeueExpiredLeases(double now) {
  statements_->expired_leases.Bind(1, now);
  std::vector<ActiveTask> expired = ReadActiveTasks(statements_->expired_leases);
  for (const ActiveTask& task : expired) {
    std::string error = fmt::format("lease expired: worker {} stopped responding", task.worker_id);
    // A worker that died may have been killed by this very input, so the
    // attempt counts and max_attempts ends the loop.
    ReleaseTask(task, now, error, /*retry=*/true, 0);
  }
}

TaskQueue::ClaimPlan TaskQueue::PlanClaim(size_t max_count) {
  Statements& s = *statements_;
  ClaimPlan plan;
  {
    ResetOnExit reset(s.global_paused);
    s.global_paused.Step();
    if (s.global_paused.ColumnInt(0) != 0) return plan;
  }

  std::map<std::string, int64_t> running;
  int64_t running_total = 0;
  {
    ResetOnExit reset(s.running_by_type);
    while (s.running_by_type.Step()) {
      int64_t count = s.running_by_type.ColumnInt(1);
      running[s.running_by_type.ColumnText(0)] = count;
      running_total += count;
    }
  }

  plan.budget = max_count;
  if (options_.global_running_limit > 0) {
    int64_t room = std::max<int64_t>(0, options_.global_running_limit - running_total);
    plan.budget = std::min(plan.budget, static_cast<size_t>(room));
  }
  for (const auto& [type, limit] : options_.type_running_limits) {
    if (limit <= 0) continue;
    auto it = running.find(type);
    int64_t used = it == running.end() ? 0 : it->second;
    plan.type_room[type] = std::max<int64_t>(0, limit - used);
  }
  return plan;
}

std::optional<ClaimedTask> TaskQueue::ClaimRow(int64_t seq, std::string_view worker_id,
                                               double now) {
  Statements& s = *statements_;
  ClaimedTask task;
  std::string data_text;
  {
    ResetOnExit reset(s.claim);
    s.claim.Bind(1, seq).Bind(2, worker_id).Bind(3, now).Bind(4, now + options_.lease_seconds);
    // The candidate query ran in this same write transaction, so the row is
    // still pending; anything else means the file changed under the lock.
    if (!s.claim.Step()) {
      throw Error(fmt::format("task queue '{}': task row {} stopped being pending during a claim",
                              db_.path().string(), seq));
    }
    task.id = s.claim.ColumnText(0);
    task.type = s.claim.ColumnText(1);
    data_text = s.claim.ColumnText(2);
    task.priority = static_cast<int>(s.claim.ColumnInt(3));
    task.attempt = static_cast<int>(s.claim.ColumnInt(4));
    task.max_attempts = static_cast<int>(s.claim.ColumnInt(5));
    task.scope = s.claim.ColumnOptionalText(6);
    task.file_path = s.claim.ColumnOptionalText(7);
    task.dedupe_key = s.claim.ColumnOptionalText(8);
    task.lease_expires_at = now + options_.lease_seconds;
  }

  std::optional<nlohmann::json> data = internal::ParseJson(data_text);
  if (!data) {
    // Only a foreign writer can store this; running it again cannot help.
    std::string error = "invalid task payload: the stored data is not valid JSON";
    s.finish.Bind(1, seq).Bind(2, ToString(TaskStatus::kFailed)).Bind(3, error).Bind(4, now);
    s.finish.Run();
    spdlog::error("task {} ({}) failed at claim: {}", task.id, task.type, error);
    return std::nullopt;
  }
  task.data = std::move(*data);
  return task;
}

std::vector<ClaimedTask> TaskQueue::Claim(std::string_view worker_id,
                                          std::span<const std::string> types, size_t max_count) {
  std::vector<ClaimedTask> claimed;
  if (max_count == 0) return claimed;

  double now = Now();
  store::Transaction transaction(db_);
  RequeueExpiredLeases(now);
  ClaimPlan plan = PlanClaim(max_count);
  std::optional<std::string> include_types = TypesJson(types);

  // Candidates come in claim order. One of a type that fills up during this
  // batch is skipped, and the query runs again without that type, so
  // lower-priority tasks of other types can fill the batch.
  size_t remaining = plan.budget;
  while (remaining > 0) {
    std::vector<Candidate> candidates = FindCandidates(statements_->candidates, now, include_types,
                                                       FullTypesJson(plan.type_room), remaining);
    if (candidates.empty()) break;

    bool query_again = false;
    for (const Candidate& candidate : candidates) {
      auto room = plan.type_room.find(candidate.type);
      if (room != plan.type_room.end() && room->second <= 0) {
        query_again = true;
        continue;
      }
      std::optional<ClaimedTask> task = ClaimRow(candidate.seq, worker_id, now);
      if (!task) {
        query_again = true;
        continue;
      }
      claimed.push_back(std::move(*task));
      --remaining;
      if (room != plan.type_room.end()) --room->second;
    }
    if (!query_again) break;
  }
  transaction.Commit();

  if (!claimed.empty()) {
    spdlog::debug("worker {} claimed {} tasks, first {}", worker_id, claimed.size(),
                  claimed.front().id);
  }
  return claimed;
}

bool TaskQueue::HasClaimableWork(std::span<const std::string> types) {
  double now = Now();
  internal::ReadTransaction transaction(db_);
  {
    // Claim returns these to pending first, so they count as work.
    ResetOnExit reset(statements_->expired_leases);
    statements_->expired_leases.Bind(1, now);
    if (statements_->expired_leases.Step()) return true;
  }
  ClaimPlan plan = PlanClaim(1);
  if (plan.budget == 0) return false;
  return !FindCandidates(statements_->candidates, now, TypesJson(types),
                         FullTypesJson(plan.type_room), 1)
              .empty();
}

}  // namespace msearch::queue

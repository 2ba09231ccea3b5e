#include <algorithm>
#include <functional>

#include <fmt/format.h>

#include "server/http_response.h"
#include "server/json_responses.h"
#include "server/request_params.h"
#include "server/server_context.h"
#include "server/system_status.h"

namespace msearch::server {
namespace {

constexpr int64_t kDefaultTaskLimit = 100;
constexpr int64_t kMaxTaskLimit = 1000;
// Task ids are UUIDs; anything much longer cannot exist.
constexpr size_t kMaxTaskIdBytes = 128;
constexpr std::string_view kTaskStatusNames =
    "pending, running, completed, failed, cancelled, waiting";

queue::TaskRecord RequireTask(queue::TaskQueue& queue, const std::string& task_id) {
  std::optional<queue::TaskRecord> task;
  if (task_id.size() <= kMaxTaskIdBytes) task = queue.Get(task_id);
  if (!task) {
    throw NotFound(fmt::format("no task with id '{}'", task_id), {{"task_id", task_id}});
  }
  return *task;
}

nlohmann::json CountsByApiStatus(const std::map<std::string, int64_t>& by_stored_status) {
  nlohmann::json counts = nlohmann::json::object();
  for (const auto& [name, count] : by_stored_status) {
    std::optional<queue::TaskStatus> status = queue::ParseTaskStatus(name);
    counts[status ? std::string(ApiStatusName(*status)) : name] = count;
  }
  return counts;
}

void HandleListTasks(ServerContext& context, const httplib::Request& request,
                     httplib::Response& response) {
  queue::TaskFilter filter;
  filter.type = OptionalParam(request, "task_type");
  if (std::optional<std::string> status = OptionalParam(request, "status")) {
    filter.status = queue::ParseTaskStatus(*status);
    if (!filter.status) {
      std::string expected = fmt::format("one of {}", kTaskStatusNames);
      throw BadRequest(
          fmt::format("invalid value '{}' for 'status': expected {}", *status, expected),
          {{"parameter", "status"}, {"value", *status}, {"expected", expected}});
    }
  }
  filter.include_archived = BoolParam(request, "include_archived", false);
  filter.limit =
      static_cast<size_t>(IntParam(request, "limit", kDefaultTaskLimit, 1, kMaxTaskLimit));
  filter.offset =
      static_cast<size_t>(IntParam(request, "offset", 0, 0, std::numeric_limits<int32_t>::max()));

  DatabasePool::Lease lease = context.databases.Acquire();
  queue::TaskPage page = lease.queue().List(filter);
  nlohmann::json tasks = nlohmann::json::array();
  for (const queue::TaskRecord& task : page.tasks) tasks.push_back(TaskInfoJson(task));
  WriteJson(response, {
                          {"total_tasks", page.total},
                          {"tasks", std::move(tasks)},
                          {"limit", filter.limit},
                          {"offset", filter.offset},
                      });
}

void HandleTaskStats(ServerContext& context, httplib::Response& response) {
  DatabasePool::Lease lease = context.databases.Acquire();
  queue::QueueStats stats = lease.queue().Stats();
  int64_t total = 0;
  for (const auto& entry : stats.by_status) total += entry.second;

  nlohmann::json by_type_and_status = nlohmann::json::object();
  for (const auto& [type, counts] : stats.by_type_and_status) {
    by_type_and_status[type] = CountsByApiStatus(counts);
  }
  WriteJson(response, {
                          {"total_tasks", total},
                          {"by_status", CountsByApiStatus(stats.by_status)},
                          {"by_type", stats.by_type},
                          {"by_type_and_status", std::move(by_type_and_status)},
                          {"queue_length", stats.pending},
                          {"running", stats.running},
                          {"throughput_per_minute", stats.completed_last_minute},
                          {"oldest_pending_age_seconds",
                           stats.oldest_pending_age_seconds
                               ? nlohmann::json(*stats.oldest_pending_age_seconds)
                               : nlohmann::json()},
                          {"paused", stats.paused_all},
                          {"paused_scopes", stats.paused_scopes},
                          {"timestamp", NowIso8601()},
                      });
}

void HandleThreadPoolStatus(ServerContext& context, httplib::Response& response) {
  bool processes_ok = true;
  nlohmann::json processes = ProcessList(context, &processes_ok);
  nlohmann::json workers = nlohmann::json::array();
  for (const nlohmann::json& process : processes) {
    if (!process.is_object()) continue;
    nlohmann::json type = process.value("type", nlohmann::json());
    if (type.is_string() && type.get<std::string>().find("worker") != std::string::npos) {
      workers.push_back(process);
    }
  }

  DatabasePool::Lease lease = context.databases.Acquire();
  queue::QueueStats stats = lease.queue().Stats();

  // The queue's global running limit caps concurrent tasks across all worker
  // processes; without one, each configured worker instance counts once.
  const config::Config& config = context.config;
  int64_t max_workers = config.ipc.task_queue.max_running;
  if (max_workers <= 0) {
    max_workers = config.processes.task_worker.num_instances +
                  config.processes.embedding_worker.num_instances;
  }
  int64_t active = stats.running;
  int64_t idle = std::max<int64_t>(0, max_workers - active);
  double load =
      max_workers > 0
          ? std::min(100.0, 100.0 * static_cast<double>(active) / static_cast<double>(max_workers))
          : 0.0;
  WriteJson(response, {
                          {"thread_pool",
                           {
                               {"max_workers", max_workers},
                               {"active_threads", active},
                               {"idle_threads", idle},
                               {"load_percentage", load},
                               {"pending_tasks", stats.pending},
                               {"worker_processes", workers.size()},
                           }},
                          {"workers", std::move(workers)},
                          {"timestamp", NowIso8601()},
                      });
}

void WriteCancelCounts(httplib::Response& response, const std::string& message,
                       const queue::CancelCounts& counts) {
  WriteJson(response, {
                          {"success", true},
                          {"message", message},
                          {"result",
                           {
                               {"cancelled", counts.cancelled},
                               {"failed", counts.failed},
                               {"total", counts.total},
                           }},
                          {"timestamp", NowIso8601()},
                      });
}

void HandleCancelAll(ServerContext& context, const httplib::Request& request,
                     httplib::Response& response, bool by_type) {
  std::optional<std::string> type;
  if (by_type) type = RequireParam(request, "task_type");
  bool cancel_running = BoolParam(request, "cancel_running", false);

  DatabasePool::Lease lease = context.databases.Acquire();
  queue::CancelCounts counts = lease.queue().CancelAll(cancel_running, type);
  context.logger->info("cancelled {} of {} tasks of type {} (cancel_running {})", counts.cancelled,
                       counts.total, type.value_or("any"), cancel_running);
  std::string message = fmt::format("cancelled {} of {} {}tasks", counts.cancelled, counts.total,
                                    type ? fmt::format("'{}' ", *type) : "");
  WriteCancelCounts(response, message, counts);
}

void HandleGetTask(ServerContext& context, const httplib::Request& request,
                   httplib::Response& response) {
  DatabasePool::Lease lease = context.databases.Acquire();
  WriteJson(response, TaskInfoJson(RequireTask(lease.queue(), request.matches[1])));
}

// One task operation. `apply` returns false when the task's status does not
// allow it, which is reported as 409 with the status.
struct TaskAction {
  std::string name;          // "cancel"
  std::string done;          // "cancelled", for the success message
  std::string allowed;       // the tasks the operation applies to
  bool queues_work = false;  // the task may become claimable: wake workers
};

void HandleTaskAction(ServerContext& context, const httplib::Request& request,
                      httplib::Response& response, const TaskAction& action,
                      const std::function<bool(queue::TaskQueue&, const std::string&)>& apply) {
  std::string task_id = request.matches[1];
  DatabasePool::Lease lease = context.databases.Acquire();
  queue::TaskQueue& queue = lease.queue();
  queue::TaskRecord task = RequireTask(queue, task_id);
  if (!apply(queue, task_id)) {
    std::string status =
        fmt::format("{}{}", task.paused ? "paused and " : "", ApiStatusName(task.status));
    throw Conflict(
        fmt::format("cannot {} task '{}' because it is {}. The operation applies only to {}.",
                    action.name, task_id, status, action.allowed),
        {{"task_id", task_id}, {"status", ApiStatusName(task.status)}, {"paused", task.paused}});
  }
  context.logger->info("task {} ({}) {}", task_id, task.type, action.done);
  if (action.queues_work && context.hooks.work_queued) {
    CallHook(context, "work_queued", [&context, &task] { context.hooks.work_queued({task.type}); });
  }
  queue::TaskRecord updated = RequireTask(queue, task_id);
  WriteJson(response, SuccessBody(fmt::format("task {} {}", task_id, action.done),
                                  {{"task", TaskInfoJson(updated)}}));
}

void RegisterTaskAction(ServerContext& context, const std::string& pattern,
                        const std::string& method, TaskAction action,
                        std::function<bool(queue::TaskQueue&, const std::string&)> apply) {
  httplib::Server::Handler handler = Route(
      context, [&context, action, apply = std::move(apply)](const auto& request, auto& response) {
        HandleTaskAction(context, request, response, action, apply);
      });
  if (method == "DELETE") {
    context.http.Delete(pattern, std::move(handler));
  } else {
    context.http.Post(pattern, std::move(handler));
  }
}

void HandleSetPriority(ServerContext& context, const httplib::Request& request,
                       httplib::Response& response) {
  if (!FindParam(request, "priority")) {
    throw BadRequest(fmt::format("missing required parameter 'priority': expected an integer "
                                 "from {} to {}, lower runs first",
                                 queue::kHighestPriority, queue::kLowestPriority),
                     {{"parameter", "priority"}});
  }
  int priority = static_cast<int>(
      IntParam(request, "priority", 0, queue::kHighestPriority, queue::kLowestPriority));
  TaskAction action{"change the priority of", fmt::format("priority set to {}", priority),
                    "pending or running tasks"};
  HandleTaskAction(context, request, response, action,
                   [priority](queue::TaskQueue& queue, const std::string& task_id) {
                     return queue.SetPriority(task_id, priority);
                   });
}

}  // namespace

void RegisterTaskRoutes(ServerContext& context) {
  RouteRecordingServer& http = context.http;
  http.Get("/api/v1/tasks", Route(context, [&context](const auto& request, auto& response) {
             HandleListTasks(context, request, response);
           }));
  http.Get("/api/v1/tasks/stats", Route(context, [&context](const auto&, auto& response) {
             HandleTaskStats(context, response);
           }));
  http.Get("/api/v1/tasks/thread-pool/status",
           Route(context, [&context](const auto&, auto& response) {
             HandleThreadPoolStatus(context, response);
           }));
  http.Post("/api/v1/tasks/cancel-all",
            Route(context, [&context](const auto& request, auto& response) {
              HandleCancelAll(context, request, response, false);
            }));
  http.Post("/api/v1/tasks/cancel-by-type",
            Route(context, [&context](const auto& request, auto& response) {
              HandleCancelAll(context, request, response, true);
            }));

  const std::string task = R"(/api/v1/tasks/([^/]+))";
  http.Get(task, Route(context, [&context](const auto& request, auto& response) {
             HandleGetTask(context, request, response);
           }));
  auto cancel = [](queue::TaskQueue& queue, const std::string& id) { return queue.Cancel(id); };
  RegisterTaskAction(context, task, "DELETE", {"cancel", "cancelled", "pending or running tasks"},
                     cancel);
  RegisterTaskAction(context, task + "/cancel", "POST",
                     {"cancel", "cancelled", "pending or running tasks"}, cancel);
  RegisterTaskAction(
      context, task + "/pause", "POST", {"pause", "paused", "pending or running tasks"},
      [](queue::TaskQueue& queue, const std::string& id) { return queue.Pause(id); });
  RegisterTaskAction(
      context, task + "/resume", "POST", {"resume", "resumed", "pending or running tasks", true},
      [](queue::TaskQueue& queue, const std::string& id) { return queue.Resume(id); });
  RegisterTaskAction(
      context, task + "/retry", "POST",
      {"retry", "queued again", "failed or cancelled tasks whose work is not already pending",
       true},
      [](queue::TaskQueue& queue, const std::string& id) { return queue.Retry(id); });
  RegisterTaskAction(
      context, task + "/archive", "POST",
      {"archive", "archived", "completed, failed or cancelled tasks"},
      [](queue::TaskQueue& queue, const std::string& id) { return queue.Archive(id); });
  http.Post(task + "/priority", Route(context, [&context](const auto& request, auto& response) {
              HandleSetPriority(context, request, response);
            }));
}

}  // namespace msearch::server

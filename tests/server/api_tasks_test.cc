#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "server_fixture.h"

namespace msearch::server {
namespace {

using nlohmann::json;

void ExpectTaskInfo(const json& task) {
  SCOPED_TRACE(task.dump());
  EXPECT_TRUE(task["task_id"].is_string());
  EXPECT_TRUE(task["task_type"].is_string());
  ASSERT_TRUE(task["status"].is_string());
  std::string status = task["status"];
  EXPECT_TRUE(status == "pending" || status == "running" || status == "completed" ||
              status == "failed" || status == "cancelled")
      << status;
  EXPECT_TRUE(task["priority"].is_number_integer());
  ExpectIso8601(task["created_at"], "created_at");
  EXPECT_TRUE(task["started_at"].is_null() || task["started_at"].is_string());
  EXPECT_TRUE(task["completed_at"].is_null() || task["completed_at"].is_string());
  EXPECT_TRUE(task["error_message"].is_null() || task["error_message"].is_string());
  EXPECT_TRUE(task["progress"].is_number());
  EXPECT_TRUE(task.contains("result"));
  EXPECT_TRUE(task["file_path"].is_null() || task["file_path"].is_string());
  EXPECT_TRUE(task["duration"].is_null() || task["duration"].is_number());
  EXPECT_TRUE(task["tags"].is_array());
}

json FindTask(const json& tasks, const std::string& id) {
  for (const json& task : tasks) {
    if (task["task_id"] == id) return task;
  }
  return nullptr;
}

TEST_F(ServerTest, ListTasksFields) {
  httplib::Client client = Client();
  json body = JsonBody(client.Get("/api/v1/tasks"));
  EXPECT_EQ(body["total_tasks"], 5);
  ASSERT_EQ(body["tasks"].size(), 5u);
  for (const json& task : body["tasks"]) ExpectTaskInfo(task);

  json running = FindTask(body["tasks"], running_id_);
  ASSERT_TRUE(running.is_object());
  EXPECT_EQ(running["status"], "running");
  EXPECT_EQ(running["task_type"], "probe");
  EXPECT_DOUBLE_EQ(running["progress"].get<double>(), 0.25);
  EXPECT_EQ(running["file_path"], song_.path.string());
  ExpectIso8601(running["started_at"], "started_at");

  json completed = FindTask(body["tasks"], completed_id_);
  EXPECT_EQ(completed["status"], "completed");
  EXPECT_EQ(completed["result"], json({{"width", 640}}));
  ExpectIso8601(completed["completed_at"], "completed_at");
  EXPECT_TRUE(completed["duration"].is_number());

  json failed = FindTask(body["tasks"], failed_id_);
  EXPECT_EQ(failed["status"], "failed");
  EXPECT_EQ(failed["error_message"], "model missing");

  json pending = FindTask(body["tasks"], pending_thumbnail_id_);
  EXPECT_EQ(pending["status"], "pending");
  EXPECT_EQ(pending["priority"], 9);
  EXPECT_TRUE(pending["started_at"].is_null());
  EXPECT_EQ(pending["tags"], json::array({"test"}));
}

TEST_F(ServerTest, ListTasksFilters) {
  httplib::Client client = Client();
  for (const std::string status : {"running", "processing"}) {
    json body = JsonBody(client.Get("/api/v1/tasks?status=" + status));
    ASSERT_EQ(body["total_tasks"], 1) << status;
    EXPECT_EQ(body["tasks"][0]["task_id"], running_id_);
  }
  json pending = JsonBody(client.Get("/api/v1/tasks?status=pending"));
  EXPECT_EQ(pending["total_tasks"], 2);
  json probes = JsonBody(client.Get("/api/v1/tasks?task_type=probe"));
  EXPECT_EQ(probes["total_tasks"], 3);
  json pending_probes = JsonBody(client.Get("/api/v1/tasks?task_type=probe&status=pending"));
  ASSERT_EQ(pending_probes["total_tasks"], 1);
  EXPECT_EQ(pending_probes["tasks"][0]["task_id"], pending_probe_id_);
  json page = JsonBody(client.Get("/api/v1/tasks?limit=2&offset=1"));
  EXPECT_EQ(page["total_tasks"], 5);
  EXPECT_EQ(page["tasks"].size(), 2u);
  json unknown_type = JsonBody(client.Get("/api/v1/tasks?task_type=nothing"));
  EXPECT_EQ(unknown_type["total_tasks"], 0);

  for (const std::string query : {"status=bogus", "limit=0", "limit=1001", "offset=-5", "limit=1.5",
                                  "include_archived=perhaps"}) {
    ExpectError(client.Get("/api/v1/tasks?" + query), 400, query);
  }
}

TEST_F(ServerTest, TaskStatsCounts) {
  httplib::Client client = Client();
  json body = JsonBody(client.Get("/api/v1/tasks/stats"));
  EXPECT_EQ(body["total_tasks"], 5);
  EXPECT_EQ(body["by_status"]["pending"], 2);
  EXPECT_EQ(body["by_status"]["running"], 1);
  EXPECT_EQ(body["by_status"]["completed"], 1);
  EXPECT_EQ(body["by_status"]["failed"], 1);
  EXPECT_EQ(body["by_status"]["cancelled"], 0);
  EXPECT_FALSE(body["by_status"].contains("processing"));
  EXPECT_EQ(body["by_type"]["probe"], 3);
  EXPECT_EQ(body["by_type"]["thumbnail"], 1);
  EXPECT_EQ(body["by_type_and_status"]["probe"]["running"], 1);
  EXPECT_EQ(body["queue_length"], 2);
  EXPECT_EQ(body["running"], 1);
  EXPECT_EQ(body["throughput_per_minute"], 1);
  EXPECT_EQ(body["paused"], false);
}

TEST_F(ServerTest, GetTaskById) {
  httplib::Client client = Client();
  auto result = client.Get("/api/v1/tasks/" + failed_id_);
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200) << result->body;
  json task = JsonBody(result);
  ExpectTaskInfo(task);
  EXPECT_EQ(task["task_id"], failed_id_);
  EXPECT_EQ(task["task_type"], "embed");
  EXPECT_EQ(task["status"], "failed");
  EXPECT_EQ(task["error_message"], "model missing");

  ExpectError(client.Get("/api/v1/tasks/no-such-task"), 404, "unknown task");
  ExpectError(client.Get("/api/v1/tasks/" + std::string(500, 'x')), 404, "long id");
}

TEST_F(ServerTest, CancelTask) {
  httplib::Client client = Client();
  auto result = client.Post("/api/v1/tasks/" + pending_probe_id_ + "/cancel");
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200) << result->body;
  json body = JsonBody(result);
  EXPECT_EQ(body["success"], true);
  EXPECT_TRUE(body["message"].is_string());
  ExpectIso8601(body["timestamp"], "timestamp");
  EXPECT_EQ(body["data"]["task"]["status"], "cancelled");

  ExpectError(client.Post("/api/v1/tasks/" + pending_probe_id_ + "/cancel"), 409, "cancel twice");
  ExpectError(client.Post("/api/v1/tasks/" + completed_id_ + "/cancel"), 409, "cancel completed");
  ExpectError(client.Post("/api/v1/tasks/no-such-task/cancel"), 404, "cancel unknown");

  auto deleted = client.Delete("/api/v1/tasks/" + pending_thumbnail_id_);
  ASSERT_TRUE(deleted);
  ASSERT_EQ(deleted->status, 200) << deleted->body;
  EXPECT_EQ(JsonBody(deleted)["success"], true);
  json task = JsonBody(client.Get("/api/v1/tasks/" + pending_thumbnail_id_));
  EXPECT_EQ(task["status"], "cancelled");
  ExpectError(client.Delete("/api/v1/tasks/no-such-task"), 404, "delete unknown");
}

TEST_F(ServerTest, SetTaskPriority) {
  httplib::Client client = Client();
  std::string path = "/api/v1/tasks/" + pending_probe_id_ + "/priority";
  auto result = client.Post(path, httplib::Params{{"priority", "0"}});
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200) << result->body;
  EXPECT_EQ(JsonBody(result)["success"], true);
  EXPECT_EQ(JsonBody(client.Get("/api/v1/tasks/" + pending_probe_id_))["priority"], 0);

  auto highest = client.Post(path, httplib::Params{{"priority", "11"}});
  ASSERT_TRUE(highest);
  EXPECT_EQ(highest->status, 200);

  for (const std::string value : {"12", "-1", "abc", "", "1e1"}) {
    ExpectError(client.Post(path, httplib::Params{{"priority", value}}), 400, "priority " + value);
  }
  ExpectError(client.Post(path, httplib::Params{}), 400, "missing priority");
  EXPECT_EQ(JsonBody(client.Get("/api/v1/tasks/" + pending_probe_id_))["priority"], 11);

  ExpectError(client.Post("/api/v1/tasks/" + completed_id_ + "/priority",
                          httplib::Params{{"priority", "1"}}),
              409, "completed task");
  ExpectError(
      client.Post("/api/v1/tasks/no-such-task/priority", httplib::Params{{"priority", "1"}}), 404,
      "unknown task");
}

TEST_F(ServerTest, PriorityAcceptsMultipartForm) {
  httplib::Client client = Client();
  httplib::MultipartFormDataItems items = {{"priority", "3", "", ""}};
  auto result = client.Post("/api/v1/tasks/" + pending_probe_id_ + "/priority", items);
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200) << result->body;
  EXPECT_EQ(JsonBody(client.Get("/api/v1/tasks/" + pending_probe_id_))["priority"], 3);
}

TEST_F(ServerTest, PauseResumeRetryArchive) {
  httplib::Client client = Client();
  std::string task = "/api/v1/tasks/" + pending_probe_id_;
  auto paused = client.Post(task + "/pause");
  ASSERT_TRUE(paused);
  ASSERT_EQ(paused->status, 200) << paused->body;
  EXPECT_EQ(JsonBody(client.Get(task))["paused"], true);

  auto resumed = client.Post(task + "/resume");
  ASSERT_TRUE(resumed);
  ASSERT_EQ(resumed->status, 200) << resumed->body;
  EXPECT_EQ(JsonBody(client.Get(task))["paused"], false);
  {
    std::lock_guard lock(hooks_->mutex);
    ASSERT_EQ(hooks_->work_queued.size(), 1u);
    EXPECT_EQ(hooks_->work_queued[0], std::vector<std::string>{"probe"});
  }

  auto retried = client.Post("/api/v1/tasks/" + failed_id_ + "/retry");
  ASSERT_TRUE(retried);
  ASSERT_EQ(retried->status, 200) << retried->body;
  json retried_task = JsonBody(client.Get("/api/v1/tasks/" + failed_id_));
  EXPECT_EQ(retried_task["status"], "pending");
  {
    std::lock_guard lock(hooks_->mutex);
    ASSERT_EQ(hooks_->work_queued.size(), 2u);
    EXPECT_EQ(hooks_->work_queued[1], std::vector<std::string>{"embed"});
  }
  ExpectError(client.Post("/api/v1/tasks/" + running_id_ + "/retry"), 409, "retry running");

  auto archived = client.Post("/api/v1/tasks/" + completed_id_ + "/archive");
  ASSERT_TRUE(archived);
  ASSERT_EQ(archived->status, 200) << archived->body;
  json listed = JsonBody(client.Get("/api/v1/tasks"));
  EXPECT_EQ(listed["total_tasks"], 4);
  EXPECT_TRUE(FindTask(listed["tasks"], completed_id_).is_null());
  json with_archived = JsonBody(client.Get("/api/v1/tasks?include_archived=true"));
  EXPECT_EQ(with_archived["total_tasks"], 5);
  ExpectError(client.Post("/api/v1/tasks/" + pending_probe_id_ + "/archive"), 409,
              "archive pending");

  for (const std::string action : {"pause", "resume", "retry", "archive"}) {
    ExpectError(client.Post("/api/v1/tasks/no-such-task/" + action), 404, action);
  }
}

TEST_F(ServerTest, CancelAllAndByType) {
  httplib::Client client = Client();
  auto by_type =
      client.Post("/api/v1/tasks/cancel-by-type", httplib::Params{{"task_type", "thumbnail"}});
  ASSERT_TRUE(by_type);
  ASSERT_EQ(by_type->status, 200) << by_type->body;
  json body = JsonBody(by_type);
  EXPECT_EQ(body["success"], true);
  EXPECT_TRUE(body["message"].is_string());
  EXPECT_EQ(body["result"]["cancelled"], 1);
  EXPECT_EQ(body["result"]["failed"], 0);
  EXPECT_EQ(body["result"]["total"], 1);
  EXPECT_EQ(JsonBody(client.Get("/api/v1/tasks/" + pending_thumbnail_id_))["status"], "cancelled");

  ExpectError(client.Post("/api/v1/tasks/cancel-by-type", httplib::Params{}), 400,
              "missing task_type");
  ExpectError(client.Post("/api/v1/tasks/cancel-all", httplib::Params{{"cancel_running", "x"}}),
              400, "invalid cancel_running");

  json all = JsonBody(client.Post("/api/v1/tasks/cancel-all", httplib::Params{}));
  EXPECT_EQ(all["result"]["cancelled"], 1);  // the pending probe
  EXPECT_EQ(all["result"]["failed"], 1);     // the running probe stays
  EXPECT_EQ(all["result"]["total"], 2);
  EXPECT_EQ(JsonBody(client.Get("/api/v1/tasks/" + running_id_))["status"], "running");

  json running = JsonBody(
      client.Post("/api/v1/tasks/cancel-all", httplib::Params{{"cancel_running", "true"}}));
  EXPECT_EQ(running["result"]["cancelled"], 1);
  EXPECT_EQ(JsonBody(client.Get("/api/v1/tasks/" + running_id_))["status"], "cancelled");
}

TEST_F(ServerTest, ThreadPoolStatus) {
  httplib::Client client = Client();
  json body = JsonBody(client.Get("/api/v1/tasks/thread-pool/status"));
  const json& pool = body["thread_pool"];
  EXPECT_EQ(pool["max_workers"], config_.ipc.task_queue.max_running);
  EXPECT_EQ(pool["active_threads"], 1);
  EXPECT_EQ(pool["idle_threads"], config_.ipc.task_queue.max_running - 1);
  ASSERT_TRUE(pool["load_percentage"].is_number());
  EXPECT_DOUBLE_EQ(pool["load_percentage"].get<double>(),
                   100.0 / config_.ipc.task_queue.max_running);
  EXPECT_EQ(pool["worker_processes"], 1);
}

TEST_F(ServerTest, IndexStatus) {
  httplib::Client client = Client();
  json body = JsonBody(client.Get("/api/v1/index/status"));
  EXPECT_EQ(body["total_files"], 4);
  EXPECT_EQ(body["indexed_files"], 1);
  EXPECT_EQ(body["pending_files"], 3);
  EXPECT_EQ(body["failed_files"], 0);
  ASSERT_TRUE(body["indexing_tasks"].is_array());
  ASSERT_EQ(body["indexing_tasks"].size(), 3u);
  EXPECT_EQ(body["indexing_tasks"][0]["task_id"], running_id_);
  for (const json& task : body["indexing_tasks"]) ExpectTaskInfo(task);
}

TEST_F(ServerTest, AddDirectory) {
  httplib::Client client = Client();
  std::filesystem::path folder = temp_ / "new media";
  std::filesystem::create_directories(folder);
  auto result =
      client.Post("/api/v1/index/directory",
                  httplib::Params{{"directory", folder.string()}, {"recursive", "false"}});
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200) << result->body;
  json body = JsonBody(result);
  EXPECT_EQ(body["success"], true);
  EXPECT_TRUE(body["message"].is_string());
  ExpectIso8601(body["timestamp"], "timestamp");
  EXPECT_EQ(body["data"]["directory"]["path"], folder.string());
  EXPECT_EQ(body["data"]["directory"]["recursive"], false);
  EXPECT_EQ(body["data"]["created"], true);
  {
    std::lock_guard lock(hooks_->mutex);
    EXPECT_EQ(hooks_->directories_changed, 1);
  }
  std::optional<store::DirectoryRecord> stored = OpenCatalog().FindDirectoryByPath(folder);
  ASSERT_TRUE(stored);
  EXPECT_FALSE(stored->recursive);
  EXPECT_FALSE(stored->from_config);

  json again = JsonBody(
      client.Post("/api/v1/index/directory",
                  httplib::Params{{"directory", folder.string()}, {"recursive", "false"}}));
  EXPECT_EQ(again["data"]["created"], false);
  {
    std::lock_guard lock(hooks_->mutex);
    EXPECT_EQ(hooks_->directories_changed, 1) << "nothing changed, so the monitor is not told";
  }

  json recursive = JsonBody(
      client.Post("/api/v1/index/directory", httplib::Params{{"directory", folder.string()}}));
  EXPECT_EQ(recursive["data"]["created"], false);
  EXPECT_EQ(recursive["data"]["directory"]["recursive"], true);
  std::lock_guard lock(hooks_->mutex);
  EXPECT_EQ(hooks_->directories_changed, 2) << "the monitor must rescan with subfolders";
}

TEST_F(ServerTest, AddDirectoryRejectsInvalidPaths) {
  httplib::Client client = Client();
  struct Case {
    std::string name;
    httplib::Params params;
  };
  const std::vector<Case> cases = {
      {"missing directory", {{"directory", (temp_ / "absent").string()}}},
      {"a file", {{"directory", photo_.path.string()}}},
      {"relative path", {{"directory", "media"}}},
      {"no parameter", {}},
      {"empty", {{"directory", ""}}},
      {"bad recursive", {{"directory", media_dir_.string()}, {"recursive", "sometimes"}}},
  };
  for (const Case& test_case : cases) {
    ExpectError(client.Post("/api/v1/index/directory", test_case.params), 400, test_case.name);
  }
  std::lock_guard lock(hooks_->mutex);
  EXPECT_EQ(hooks_->directories_changed, 0);
}

TEST_F(ServerTest, IndexFileInsideWatchedDirectory) {
  httplib::Client client = Client();
  auto result =
      client.Post("/api/v1/index/file", httplib::Params{{"file_path", photo_.path.string()}});
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200) << result->body;
  json body = JsonBody(result);
  EXPECT_EQ(body["success"], true);
  EXPECT_EQ(body["data"]["directory_id"], directory_id_);
  EXPECT_EQ(body["data"]["file_uuid"], photo_.uuid);
  std::lock_guard lock(hooks_->mutex);
  ASSERT_EQ(hooks_->rescans.size(), 1u);
  EXPECT_EQ(hooks_->rescans[0], directory_id_);
}

TEST_F(ServerTest, IndexFileRejectsOutsidePaths) {
  httplib::Client client = Client();
  std::filesystem::path link = media_dir_ / "link_to_secret.jpg";
  std::filesystem::create_symlink(secret_file_, link);
  std::filesystem::create_directories(media_dir_ / "sub");
  struct Case {
    std::string name;
    std::string path;
    int status;
  };
  const std::vector<Case> cases = {
      {"system file", "/etc/passwd", 403},
      {"dot-dot out", (media_dir_ / ".." / "secret.txt").string(), 403},
      {"link out", link.string(), 403},
      {"prefix sibling", media_dir_.string() + "-other/file.jpg", 403},
      {"missing inside", (media_dir_ / "absent.jpg").string(), 404},
      {"directory inside", (media_dir_ / "sub").string(), 400},
      {"relative", "media/sunset_beach.jpg", 400},
      {"NUL byte", photo_.path.string() + std::string(1, '\0') + "/../../secret.txt", 400},
  };
  for (const Case& test_case : cases) {
    ExpectError(client.Post("/api/v1/index/file", httplib::Params{{"file_path", test_case.path}}),
                test_case.status, test_case.name);
  }
  ExpectError(client.Post("/api/v1/index/file", httplib::Params{}), 400, "missing file_path");
  std::lock_guard lock(hooks_->mutex);
  EXPECT_TRUE(hooks_->rescans.empty());
}

TEST_F(ServerTest, ReindexAll) {
  httplib::Client client = Client();
  auto all = client.Post("/api/v1/index/reindex-all");
  ASSERT_TRUE(all);
  ASSERT_EQ(all->status, 200) << all->body;
  EXPECT_EQ(JsonBody(all)["success"], true);

  auto one = client.Post("/api/v1/index/reindex-all",
                         httplib::Params{{"directory_id", std::to_string(directory_id_)}});
  ASSERT_TRUE(one);
  ASSERT_EQ(one->status, 200) << one->body;

  ExpectError(client.Post("/api/v1/index/reindex-all", httplib::Params{{"directory_id", "999"}}),
              404, "unknown directory");
  ExpectError(client.Post("/api/v1/index/reindex-all", httplib::Params{{"directory_id", "x"}}), 400,
              "invalid directory id");

  std::lock_guard lock(hooks_->mutex);
  ASSERT_EQ(hooks_->rescans.size(), 2u);
  EXPECT_EQ(hooks_->rescans[0], std::nullopt);
  EXPECT_EQ(hooks_->rescans[1], directory_id_);
}

TEST_F(ServerTest, ConcurrentRequests) {
  constexpr int kThreads = 4;
  constexpr int kRequestsPerThread = 15;
  std::vector<std::thread> threads;
  std::atomic<int> ok_count = 0;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, &ok_count] {
      httplib::Client client = Client();
      for (int i = 0; i < kRequestsPerThread; ++i) {
        auto search =
            client.Post("/api/v1/search/text", R"({"query": "sunset"})", "application/json");
        auto tasks = client.Get("/api/v1/tasks/stats");
        if (search && search->status == 200 && tasks && tasks->status == 200) ++ok_count;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(ok_count.load(), kThreads * kRequestsPerThread);
}

}  // namespace
}  // namespace msearch::server

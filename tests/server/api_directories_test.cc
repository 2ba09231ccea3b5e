#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "queue/task_queue.h"
#include "server_fixture.h"

namespace msearch::server {
namespace {

using nlohmann::json;

std::string DirectoryPath(int64_t id) { return "/api/v1/directories/" + std::to_string(id); }

TEST_F(ServerTest, DirectoriesListCountsFiles) {
  httplib::Client client = Client();
  auto result = client.Get("/api/v1/directories");
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200) << result->body;
  json body = JsonBody(result);
  ASSERT_EQ(body["total_directories"], 1);
  const json& directory = body["directories"][0];
  EXPECT_EQ(directory["id"], directory_id_);
  EXPECT_EQ(directory["path"], media_dir_.string());
  EXPECT_EQ(directory["recursive"], true);
  EXPECT_EQ(directory["state"], "initializing");
  EXPECT_EQ(directory["from_config"], true);
  EXPECT_EQ(directory["detached"], false);
  EXPECT_EQ(directory["tasks_paused"], false);
  ExpectIso8601(directory["added_at"], "added_at");
  EXPECT_EQ(directory["files"]["total"], 4);
  EXPECT_EQ(directory["files"]["indexed"], 1);
  EXPECT_EQ(directory["files"]["pending"], 3);
  EXPECT_EQ(directory["files"]["failed"], 0);
  EXPECT_EQ(directory["files"]["by_type"]["audio"], 2);

  json one = JsonBody(client.Get(DirectoryPath(directory_id_)));
  EXPECT_EQ(one["path"], media_dir_.string());
  ExpectError(client.Get(DirectoryPath(999)), 404, "unknown id");
  ExpectError(client.Get("/api/v1/directories/abc"), 404, "id not a number");
  ExpectError(client.Get("/api/v1/directories?include_detached=maybe"), 400, "bad flag");
}

TEST_F(ServerTest, DirectoryAddWithJson) {
  httplib::Client client = Client();
  std::filesystem::path folder = temp_ / "camera";
  std::filesystem::create_directories(folder);
  auto result =
      client.Post("/api/v1/directories",
                  json{{"path", folder.string()}, {"recursive", false}}.dump(), "application/json");
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 201) << result->body;
  json body = JsonBody(result);
  EXPECT_EQ(body["data"]["created"], true);
  EXPECT_EQ(body["data"]["directory"]["path"], folder.string());
  EXPECT_EQ(body["data"]["directory"]["files"]["total"], 0);

  auto again =
      client.Post("/api/v1/directories",
                  json{{"path", folder.string()}, {"recursive", false}}.dump(), "application/json");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200);
  EXPECT_EQ(JsonBody(again)["data"]["created"], false);

  for (const std::string bad : {R"({})", R"({"path": "relative"})", R"({"path": 3})",
                                R"({"path": "/no/such/folder"})", "{"}) {
    ExpectError(client.Post("/api/v1/directories", bad, "application/json"), 400, bad);
  }
  ExpectError(client.Post("/api/v1/directories", json{{"path", photo_.path.string()}}.dump(),
                          "application/json"),
              400, "a file");
  std::lock_guard lock(hooks_->mutex);
  EXPECT_EQ(hooks_->directories_changed, 1);
}

TEST_F(ServerTest, DirectoryPauseResumeRescan) {
  httplib::Client client = Client();
  std::string base = DirectoryPath(directory_id_);
  auto paused = client.Post(base + "/pause");
  ASSERT_TRUE(paused);
  ASSERT_EQ(paused->status, 200) << paused->body;
  json body = JsonBody(paused);
  EXPECT_EQ(body["data"]["state"], "paused");
  EXPECT_EQ(body["data"]["tasks_paused"], true);
  {
    queue::TaskQueue queue(config_.ipc.task_queue.path, queue::QueueOptions{});
    EXPECT_TRUE(queue.IsScopePaused("dir:" + std::to_string(directory_id_)));
  }
  ExpectError(client.Post(base + "/rescan"), 409, "rescan while paused");
  auto twice = client.Post(base + "/pause");
  ASSERT_TRUE(twice);
  EXPECT_EQ(twice->status, 200);

  auto resumed = client.Post(base + "/resume");
  ASSERT_TRUE(resumed);
  ASSERT_EQ(resumed->status, 200) << resumed->body;
  json resumed_body = JsonBody(resumed);
  EXPECT_EQ(resumed_body["data"]["state"], "initializing");
  EXPECT_EQ(resumed_body["data"]["tasks_paused"], false);

  auto rescan = client.Post(base + "/rescan");
  ASSERT_TRUE(rescan);
  ASSERT_EQ(rescan->status, 200) << rescan->body;
  ExpectError(client.Post(DirectoryPath(999) + "/pause"), 404, "unknown id");

  std::lock_guard lock(hooks_->mutex);
  EXPECT_EQ(hooks_->directories_changed, 2) << "pause and resume; not the second pause";
  ASSERT_EQ(hooks_->rescans.size(), 1u);
  EXPECT_EQ(hooks_->rescans[0], directory_id_);
  ASSERT_EQ(hooks_->work_queued.size(), 1u) << "resumed tasks wake the workers";
}

TEST_F(ServerTest, DirectoryRemoveWithData) {
  httplib::Client client = Client();
  std::filesystem::path thumbnail = config_.storage.thumbnail_dir / (photo_.uuid + ".jpg");
  auto result = client.Delete(DirectoryPath(directory_id_));
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200) << result->body;
  json body = JsonBody(result);
  EXPECT_EQ(body["data"]["data_deleted"], true);
  EXPECT_EQ(body["data"]["files_removed"], 4);
  EXPECT_EQ(body["data"]["thumbnails_deleted"], 1);
  EXPECT_NE(body["message"].get<std::string>().find("watched_dirs"), std::string::npos)
      << "a configured directory returns at the next start";

  EXPECT_FALSE(std::filesystem::exists(thumbnail));
  EXPECT_TRUE(std::filesystem::exists(photo_.path));
  json files = JsonBody(client.Get("/api/v1/files/list"));
  EXPECT_EQ(files["total_files"], 0);
  json list = JsonBody(client.Get("/api/v1/directories?include_detached=true"));
  EXPECT_EQ(list["total_directories"], 0);
  ExpectError(client.Delete(DirectoryPath(directory_id_)), 404, "already removed");
  std::lock_guard lock(hooks_->mutex);
  EXPECT_EQ(hooks_->directories_changed, 1);
  ASSERT_EQ(hooks_->files_removed.size(), 1u);
  EXPECT_EQ(hooks_->files_removed[0].size(), 4u);
}

TEST_F(ServerTest, DirectoryRemoveKeepingData) {
  httplib::Client client = Client();
  auto result = client.Delete(DirectoryPath(directory_id_) + "?delete_data=false");
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200) << result->body;
  EXPECT_EQ(JsonBody(result)["data"]["data_deleted"], false);

  json files = JsonBody(client.Get("/api/v1/files/list"));
  EXPECT_EQ(files["total_files"], 4) << "the files stay searchable";
  json watched = JsonBody(client.Get("/api/v1/directories"));
  EXPECT_EQ(watched["total_directories"], 0);
  json all = JsonBody(client.Get("/api/v1/directories?include_detached=true"));
  ASSERT_EQ(all["total_directories"], 1);
  EXPECT_EQ(all["directories"][0]["detached"], true);
  EXPECT_EQ(all["directories"][0]["state"], "paused");

  ExpectError(client.Post(DirectoryPath(directory_id_) + "/resume"), 409, "resume detached");
  ExpectError(
      client.Post("/api/v1/index/file", httplib::Params{{"file_path", photo_.path.string()}}), 403,
      "a detached directory is not watched");
  ExpectError(
      client.Get("/api/v1/files/preview", httplib::Params{{"path", photo_.path.string()}}, {}), 403,
      "preview by path needs a watched directory");
  auto by_uuid = client.Get("/api/v1/files/" + photo_.uuid + "/media");
  ASSERT_TRUE(by_uuid);
  EXPECT_EQ(by_uuid->status, 200) << "catalogued files stay playable";

  // Adding the folder again attaches the same entry.
  auto added =
      client.Post("/api/v1/index/directory", httplib::Params{{"directory", media_dir_.string()}});
  ASSERT_TRUE(added);
  json added_body = JsonBody(added);
  EXPECT_EQ(added_body["data"]["created"], true);
  EXPECT_EQ(added_body["data"]["directory"]["id"], directory_id_);
  EXPECT_EQ(added_body["data"]["directory"]["detached"], false);
  EXPECT_EQ(added_body["data"]["directory"]["state"], "initializing");
  std::lock_guard lock(hooks_->mutex);
  EXPECT_TRUE(hooks_->files_removed.empty());
}

TEST_F(ServerTest, DirectoryRemoveRejectsBadFlag) {
  httplib::Client client = Client();
  ExpectError(client.Delete(DirectoryPath(directory_id_) + "?delete_data=perhaps"), 400,
              "bad flag");
  json files = JsonBody(client.Get("/api/v1/files/list"));
  EXPECT_EQ(files["total_files"], 4);
}

}  // namespace
}  // namespace msearch::server

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "queue/task_queue.h"
#include "server_fixture.h"
#include "store/embedding_store.h"
#include "store/extraction_store.h"

namespace msearch::server {
namespace {

using nlohmann::json;

httplib::Result PostAdd(httplib::Client& client, const json& body) {
  return client.Post("/api/v1/index/add", body.dump(), "application/json");
}

httplib::Result DeleteRemove(httplib::Client& client, const json& body) {
  return client.Delete("/api/v1/index/remove", body.dump(), "application/json");
}

TEST_F(ServerTest, IndexAddQueuesProbeAtPriority) {
  httplib::Client client = Client();
  // song_ is catalogued but not indexed; photo_ is indexed.
  auto result = PostAdd(
      client, {{"file_paths", {song_.path.string(), photo_.path.string()}}, {"priority", 2}});
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200) << result->body;
  json body = JsonBody(result);
  EXPECT_EQ(body["success"], true);
  ExpectIso8601(body["timestamp"], "timestamp");
  ASSERT_EQ(body["data"]["files"].size(), 2u);
  EXPECT_EQ(body["data"]["files"][0]["file_uuid"], song_.uuid);
  EXPECT_EQ(body["data"]["files"][0]["action"], "queued");
  EXPECT_EQ(body["data"]["files"][1]["action"], "already_indexed");
  EXPECT_EQ(body["data"]["priority"], 2);

  std::string task_id = body["data"]["files"][0]["task_id"];
  json task = JsonBody(client.Get("/api/v1/tasks/" + task_id));
  EXPECT_EQ(task["task_type"], "probe");
  EXPECT_EQ(task["priority"], 2);
  EXPECT_EQ(task["status"], "pending");
  EXPECT_EQ(task["file_path"], song_.path.string());
  std::lock_guard lock(hooks_->mutex);
  ASSERT_EQ(hooks_->work_queued.size(), 1u);
  EXPECT_EQ(hooks_->work_queued[0], std::vector<std::string>{"probe"});
  EXPECT_TRUE(hooks_->rescans.empty());
}

TEST_F(ServerTest, IndexAddDirectoriesAndNewFiles) {
  httplib::Client client = Client();
  std::filesystem::path folder = temp_ / "more media";
  std::filesystem::create_directories(folder);
  std::filesystem::path fresh = media_dir_ / "new_photo.jpg";
  std::ofstream(fresh) << "new";
  auto result =
      PostAdd(client, {{"file_paths", {folder.string(), fresh.string(), media_dir_.string()}},
                       {"recursive", false}});
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200) << result->body;
  json data = JsonBody(result)["data"];
  ASSERT_EQ(data["directories_added"].size(), 1u);
  EXPECT_EQ(data["directories_added"][0]["path"], folder.string());
  EXPECT_EQ(data["directories_added"][0]["recursive"], false);
  EXPECT_EQ(data["rescanned_directory_ids"], json::array({directory_id_}));
  ASSERT_EQ(data["files"].size(), 1u);
  EXPECT_EQ(data["files"][0]["action"], "rescan");
  EXPECT_TRUE(data["files"][0]["file_uuid"].is_null());

  std::lock_guard lock(hooks_->mutex);
  EXPECT_EQ(hooks_->directories_changed, 1);
  ASSERT_EQ(hooks_->rescans.size(), 1u) << "one rescan per directory, not per path";
  EXPECT_EQ(hooks_->rescans[0], directory_id_);
}

TEST_F(ServerTest, IndexAddRejectsInvalidInput) {
  httplib::Client client = Client();
  struct Case {
    std::string name;
    std::string body;
    int status;
  };
  const std::vector<Case> cases = {
      {"bad JSON", R"({"file_paths": [)", 400},
      {"missing list", R"({})", 400},
      {"empty list", R"({"file_paths": []})", 400},
      {"not a list", R"({"file_paths": "/tmp"})", 400},
      {"number in list", R"({"file_paths": [5]})", 400},
      {"relative path", R"({"file_paths": ["media/a.jpg"]})", 400},
      {"priority 0", json{{"file_paths", {photo_.path.string()}}, {"priority", 0}}.dump(), 400},
      {"priority 11", json{{"file_paths", {photo_.path.string()}}, {"priority", 11}}.dump(), 400},
      {"recursive string",
       json{{"file_paths", {photo_.path.string()}}, {"recursive", "yes"}}.dump(), 400},
      {"outside", json{{"file_paths", {secret_file_.string()}}}.dump(), 403},
      {"missing file", json{{"file_paths", {(media_dir_ / "absent.jpg").string()}}}.dump(), 404},
      {"second path outside", json{{"file_paths", {song_.path.string(), "/etc/passwd"}}}.dump(),
       403},
  };
  for (const Case& test_case : cases) {
    ExpectError(client.Post("/api/v1/index/add", test_case.body, "application/json"),
                test_case.status, test_case.name);
  }
  json tasks = JsonBody(client.Get("/api/v1/tasks?status=pending"));
  EXPECT_EQ(tasks["total_tasks"], 2) << "a rejected request queues nothing";
  std::lock_guard lock(hooks_->mutex);
  EXPECT_TRUE(hooks_->rescans.empty());
}

TEST_F(ServerTest, IndexRemoveDeletesEntriesAndThumbnails) {
  std::filesystem::path thumbnail = config_.storage.thumbnail_dir / (photo_.uuid + ".jpg");
  ASSERT_TRUE(std::filesystem::exists(thumbnail));
  {
    store::Catalog catalog = OpenCatalog();
    store::EmbeddingStore embeddings(catalog.database());
    std::vector<store::NewEmbedding> vectors = {{std::nullopt, {1.0f, 0.0f, 0.0f}}};
    embeddings.ReplaceFileVectors(photo_.id, "clip", vectors);
  }
  httplib::Client client = Client();
  std::string unknown = "00000000-0000-4000-8000-000000000000";
  auto result = DeleteRemove(client, {{"file_uuids", {photo_.uuid, unknown}}});
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200) << result->body;
  json body = JsonBody(result);
  EXPECT_EQ(body["success"], true);
  EXPECT_EQ(body["data"]["removed"], 1);
  EXPECT_EQ(body["data"]["not_found"], json::array({unknown}));
  EXPECT_EQ(body["data"]["thumbnails_deleted"], 1);
  EXPECT_EQ(body["data"]["still_on_disk"], 1);

  EXPECT_FALSE(std::filesystem::exists(thumbnail));
  EXPECT_TRUE(std::filesystem::exists(photo_.path)) << "the media file itself stays";
  store::Catalog catalog = OpenCatalog();
  EXPECT_FALSE(catalog.FindFileByUuid(photo_.uuid));
  EXPECT_EQ(store::EmbeddingStore(catalog.database()).Count("clip"), 0);
  ExpectError(client.Get("/api/v1/files/" + photo_.uuid), 404, "removed file");
  std::lock_guard lock(hooks_->mutex);
  ASSERT_EQ(hooks_->files_removed.size(), 1u);
  EXPECT_EQ(hooks_->files_removed[0], std::vector<int64_t>{photo_.id});
}

TEST_F(ServerTest, IndexRemoveRejectsInvalidInput) {
  httplib::Client client = Client();
  ExpectError(DeleteRemove(client, {{"file_uuids", {"00000000-0000-4000-8000-000000000000"}}}), 404,
              "unknown uuid");
  ExpectError(DeleteRemove(client, {{"file_uuids", json::array()}}), 400, "empty list");
  ExpectError(DeleteRemove(client, json::object()), 400, "missing list");
  ExpectError(client.Delete("/api/v1/index/remove", "{", "application/json"), 400, "bad JSON");
  ExpectError(client.Delete("/api/v1/index/remove"), 400, "no body");
  json files = JsonBody(client.Get("/api/v1/files/list"));
  EXPECT_EQ(files["total_files"], 4);
}

TEST_F(ServerTest, RemovedSegmentThumbnailsAreDeleted) {
  std::filesystem::path segments_dir =
      config_.storage.thumbnail_dir / clip_.uuid.substr(0, 2) / clip_.uuid;
  std::filesystem::create_directories(segments_dir);
  std::vector<store::SegmentRecord> segments(2);
  for (int i = 0; i < 2; ++i) {
    std::filesystem::path image = segments_dir / ("v" + std::to_string(i) + ".jpg");
    std::ofstream(image) << "segment";
    segments[i].index = i;
    segments[i].start_s = i * 2.0;
    segments[i].end_s = i * 2.0 + 2.0;
    segments[i].representative_s = i * 2.0 + 1.0;
    segments[i].thumbnail_path = image.string();
  }
  {
    store::Catalog catalog = OpenCatalog();
    store::ExtractionStore(catalog.database()).ReplaceSegments(clip_.id, "video", segments);
  }
  httplib::Client client = Client();
  json body = JsonBody(DeleteRemove(client, {{"file_uuids", {clip_.uuid}}}));
  EXPECT_EQ(body["data"]["removed"], 1);
  EXPECT_EQ(body["data"]["thumbnails_deleted"], 2)
      << "the clip's own thumbnail links outside the folder and is left alone";
  EXPECT_FALSE(std::filesystem::exists(segments_dir));
  EXPECT_TRUE(std::filesystem::exists(secret_file_));
}

}  // namespace
}  // namespace msearch::server

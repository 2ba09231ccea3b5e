// The search routes over a catalog indexed by the real media pipeline with
// the fixture models: uploads and paths, each query kind, errors.

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "common/logging.h"
#include "indexed_library.h"
#include "search/search_service.h"
#include "server/api_server.h"
#include "support/shared_data.h"
#include "support/temp_dir.h"

namespace msearch::server {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

json Body(const httplib::Result& result) {
  EXPECT_TRUE(result);
  if (!result) return json();
  json body = json::parse(result->body, nullptr, false);
  EXPECT_FALSE(body.is_discarded()) << result->body;
  return body;
}

void ExpectError(const httplib::Result& result, int status) {
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, status) << result->body;
  json body = json::parse(result->body, nullptr, false);
  ASSERT_TRUE(body.is_object()) << result->body;
  EXPECT_TRUE(body.contains("error")) << result->body;
  EXPECT_TRUE(body["message"].is_string()) << result->body;
  EXPECT_TRUE(body.contains("detail")) << result->body;
  EXPECT_TRUE(body["timestamp"].is_string()) << result->body;
}

size_t CountUploads(const fs::path& uploads) {
  if (!fs::exists(uploads)) return 0;
  size_t count = 0;
  for (const auto& entry : fs::recursive_directory_iterator(uploads)) {
    if (entry.is_regular_file()) ++count;
  }
  return count;
}

class SearchApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    shared_ = msearch::testing::SharedDir();
    if (!shared_) GTEST_SKIP() << "shared reference data not found; skipped";
    static std::once_flag logging;
    static msearch::testing::TempDir log_dir;
    std::call_once(logging, [] {
      LoggingOptions options;
      options.log_dir = log_dir.path();
      InitLogging(options, "search_api_test", "search_api_test.log");
    });

    library_ = std::make_unique<search::testing::IndexedLibrary>(*shared_);
    const fs::path corpus = *shared_ / "corpus";
    library_->Add(corpus / "images/cat_chelsea_baseline.jpg");
    library_->Add(corpus / "images/rocket_launch.jpg");
    library_->Add(corpus / "images/text_en_invoice.png");
    library_->Add(corpus / "audio/speech_librivox_id3v23_cover.mp3");
    library_->Add(corpus / "video/scene_cuts_2_4_6.mp4");

    const fs::path data = library_->root() / "data";
    config_.base_dir = library_->root();
    config_.storage.data_dir = data;
    config_.storage.catalog_path = library_->catalog_path();
    config_.storage.thumbnail_dir = library_->root() / "thumbnails";
    config_.ipc.task_queue.path = data / "task_queue.db";
    config_.models.dir = library_->models_dir();
    config_.api.host = "127.0.0.1";
    config_.api.port = 0;
    config_.api.threads = 2;
    server_ = std::make_unique<ApiServer>(config_, ServerHooks{});
    server_->SetSearchService(library_->MakeService(library_->DefaultOptions()));
    server_->Start();
  }

  void TearDown() override {
    if (server_) server_->Stop();
  }

  httplib::Client Client() const {
    httplib::Client client("127.0.0.1", server_->port());
    client.set_read_timeout(120, 0);
    return client;
  }

  fs::path Corpus(const std::string& path) const { return *shared_ / "corpus" / path; }
  fs::path uploads() const { return config_.storage.data_dir / "uploads"; }

  std::optional<fs::path> shared_;
  std::unique_ptr<search::testing::IndexedLibrary> library_;
  config::Config config_;
  std::unique_ptr<ApiServer> server_;
};

TEST_F(SearchApiTest, ImageUploadFindsItself) {
  httplib::Client client = Client();
  httplib::MultipartFormDataItems items = {
      {"file", ReadFile(Corpus("images/rocket_launch.jpg")), "query photo.jpg", "image/jpeg"},
      {"top_k", "3", "", ""},
  };
  httplib::Result result = client.Post("/api/v1/search/image", items);
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200) << result->body;

  json body = Body(result);
  EXPECT_EQ(body["query"], "query photo.jpg");
  EXPECT_EQ(body["query_type"], "image");
  ASSERT_GE(body["results"].size(), 1u);
  EXPECT_LE(body["results"].size(), 3u);
  EXPECT_EQ(body["total_results"], body["results"].size());

  const json& first = body["results"][0];
  EXPECT_EQ(first["file_path"], (library_->media_dir() / "rocket_launch.jpg").string());
  EXPECT_EQ(first["file_name"], "rocket_launch.jpg");
  EXPECT_EQ(first["file_type"], "image");
  EXPECT_EQ(first["modality"], "image");
  EXPECT_EQ(first["match"], "vector");
  EXPECT_NEAR(first["score"].get<double>(), 1.0, 1e-4);
  EXPECT_TRUE(first["file_uuid"].is_string());
  EXPECT_TRUE(first["thumbnail_path"].is_null());  // the fixture makes no file thumbnails
  EXPECT_TRUE(first["preview_path"].is_string());
  EXPECT_EQ(first["metadata"]["width"], 640);
  EXPECT_TRUE(first["timestamp_info"].is_null());
  EXPECT_TRUE(body["search_time"].is_number());
  EXPECT_EQ(body["spaces"], json::array({search::testing::kClipSpace}));

  // The upload is removed once the query ran.
  EXPECT_EQ(CountUploads(uploads()), 0u);
}

TEST_F(SearchApiTest, ImagePathInsideWatchedFolder) {
  httplib::Client client = Client();
  httplib::Params form = {
      {"query_image", (library_->media_dir() / "cat_chelsea_baseline.jpg").string()}};
  json body = Body(client.Post("/api/v1/search/image", form));
  ASSERT_GE(body["results"].size(), 1u) << body.dump(2);
  EXPECT_EQ(body["results"][0]["file_name"], "cat_chelsea_baseline.jpg");
}

TEST_F(SearchApiTest, ImagePathOutsideIsForbidden) {
  httplib::Client client = Client();
  // A real image, but outside every watched folder and the upload area.
  ExpectError(client.Post("/api/v1/search/image",
                          httplib::Params{
                              {"query_image", Corpus("images/cat_chelsea_baseline.jpg").string()}}),
              403);
  ExpectError(client.Post("/api/v1/search/image", httplib::Params{{"query_image", "/etc/passwd"}}),
              403);
  // Climbing out of a watched folder with "..".
  std::string escape = (library_->media_dir() / ".." / "catalog.db").string();
  ExpectError(client.Post("/api/v1/search/image", httplib::Params{{"query_image", escape}}), 403);
  // A symbolic link inside the folder that leads out of it.
  fs::create_symlink(Corpus("images/cat_chelsea_baseline.jpg"), library_->media_dir() / "link.jpg");
  ExpectError(
      client.Post("/api/v1/search/image",
                  httplib::Params{{"query_image", (library_->media_dir() / "link.jpg").string()}}),
      403);
}

TEST_F(SearchApiTest, InvalidImageRequests) {
  httplib::Client client = Client();
  ExpectError(client.Post("/api/v1/search/image", httplib::Params{}), 400);
  ExpectError(client.Post("/api/v1/search/image", httplib::Params{{"query_image", "cat.jpg"}}),
              400);
  ExpectError(client.Post("/api/v1/search/image",
                          httplib::Params{
                              {"query_image", (library_->media_dir() / "missing.jpg").string()}}),
              404);
  httplib::MultipartFormDataItems text = {
      {"file", "this is not a picture", "notes.jpg", "image/jpeg"}};
  ExpectError(client.Post("/api/v1/search/image", text), 400);
  httplib::MultipartFormDataItems empty = {{"file", "", "empty.jpg", "image/jpeg"}};
  ExpectError(client.Post("/api/v1/search/image", empty), 400);
  httplib::MultipartFormDataItems bad_top_k = {
      {"file", ReadFile(Corpus("images/rocket_launch.jpg")), "q.jpg", "image/jpeg"},
      {"top_k", "0", "", ""}};
  ExpectError(client.Post("/api/v1/search/image", bad_top_k), 400);
  EXPECT_EQ(CountUploads(uploads()), 0u);
}

TEST_F(SearchApiTest, ImageSearchWithoutModelIs503) {
  fs::remove_all(library_->models_dir() / search::testing::kClipSpace);
  httplib::Client client = Client();
  httplib::MultipartFormDataItems items = {
      {"file", ReadFile(Corpus("images/rocket_launch.jpg")), "q.jpg", "image/jpeg"}};
  ExpectError(client.Post("/api/v1/search/image", items), 503);
  EXPECT_EQ(CountUploads(uploads()), 0u);
  // Text search still works from recognised text, names and tags.
  json body = Body(
      client.Post("/api/v1/search/text", json{{"query", "invoice"}}.dump(), "application/json"));
  ASSERT_EQ(body["results"].size(), 1u) << body.dump(2);
  EXPECT_EQ(body["results"][0]["file_name"], "text_en_invoice.png");
  EXPECT_NE(
      std::find(body["results"][0]["sources"].begin(), body["results"][0]["sources"].end(), "text"),
      body["results"][0]["sources"].end())
      << body.dump(2);
}

TEST_F(SearchApiTest, AudioClipFindsRecordingWithOffset) {
  fs::path clip = library_->scratch_dir() / "clip.wav";
  ASSERT_TRUE(search::testing::RunFfmpeg({"-ss", "1", "-t", "6", "-i",
                                          Corpus("audio/speech_librivox_id3v23_cover.mp3").string(),
                                          "-ac", "1", "-ar", "16000", clip.string()}));
  httplib::Client client = Client();
  httplib::MultipartFormDataItems items = {{"file", ReadFile(clip), "clip.wav", "audio/wav"}};
  json body = Body(client.Post("/api/v1/search/audio", items));
  EXPECT_EQ(body["query_type"], "audio");
  ASSERT_GE(body["results"].size(), 1u) << body.dump(2);
  const json& first = body["results"][0];
  EXPECT_EQ(first["file_name"], "speech_librivox_id3v23_cover.mp3");
  EXPECT_EQ(first["match"], "fingerprint");
  EXPECT_EQ(first["modality"], "audio");
  ASSERT_TRUE(first["timestamp_info"].is_object()) << first.dump(2);
  EXPECT_NEAR(first["timestamp_info"]["start"].get<double>(), 1.0, 0.5);
  EXPECT_NEAR(first["timestamp_info"]["end"].get<double>(), 7.0, 0.5);
  EXPECT_NEAR(first["timestamp_info"]["centre"].get<double>(), 4.0, 0.5);
  EXPECT_EQ(first["timestamp_info"]["track"], "audio");
  EXPECT_EQ(CountUploads(uploads()), 0u);
}

TEST_F(SearchApiTest, AudioRequestErrors) {
  httplib::Client client = Client();
  ExpectError(client.Post("/api/v1/search/audio", httplib::Params{}), 400);
  ExpectError(client.Post("/api/v1/search/audio", httplib::Params{{"query_audio", "/etc/hosts"}}),
              403);
  // An image has no sound.
  httplib::MultipartFormDataItems image = {
      {"file", ReadFile(Corpus("images/rocket_launch.jpg")), "q.jpg", "image/jpeg"}};
  ExpectError(client.Post("/api/v1/search/audio", image), 400);
}

TEST_F(SearchApiTest, VideoQueryFindsSegments) {
  httplib::Client client = Client();
  std::string video = (library_->media_dir() / "scene_cuts_2_4_6.mp4").string();
  json request = {{"query_video", video}, {"start_time", 4.2}, {"end_time", 5.8}};
  json body = Body(client.Post("/api/v1/search/video", request.dump(), "application/json"));
  EXPECT_EQ(body["query_type"], "video");
  EXPECT_EQ(body["query"], video);
  ASSERT_GE(body["results"].size(), 1u) << body.dump(2);
  const json& first = body["results"][0];
  EXPECT_EQ(first["file_name"], "scene_cuts_2_4_6.mp4");
  ASSERT_TRUE(first["timestamp_info"].is_object()) << first.dump(2);
  EXPECT_NEAR(first["timestamp_info"]["start"].get<double>(), 4.0, 0.5) << first.dump(2);
  ASSERT_GE(first["segments"].size(), 1u);
  double previous = -1;
  for (const json& segment : first["segments"]) {
    EXPECT_GE(segment["start"].get<double>(), previous);
    previous = segment["start"].get<double>();
    EXPECT_TRUE(segment.contains("end"));
    EXPECT_TRUE(segment.contains("centre"));
    EXPECT_TRUE(segment.contains("score"));
  }
}

TEST_F(SearchApiTest, VideoRequestErrors) {
  httplib::Client client = Client();
  std::string video = (library_->media_dir() / "scene_cuts_2_4_6.mp4").string();
  auto post = [&](const json& request) {
    return client.Post("/api/v1/search/video", request.dump(), "application/json");
  };
  ExpectError(post({{"query_video", video}, {"start_time", 5}, {"end_time", 2}}), 400);
  ExpectError(post({{"query_video", video}, {"start_time", -1}}), 400);
  ExpectError(post({{"query_video", video}, {"start_time", 60}}), 400);  // after the end
  ExpectError(post({{"query_video", Corpus("video/scene_cuts_2_4_6.mp4").string()}}), 403);
  ExpectError(post({{"top_k", 5}}), 400);
  ExpectError(client.Post("/api/v1/search/video", "{not json", "application/json"), 400);
}

TEST_F(SearchApiTest, TextFiltersAndErrors) {
  httplib::Client client = Client();
  auto post = [&](const json& request) {
    return client.Post("/api/v1/search/text", request.dump(), "application/json");
  };
  json found = Body(post({{"query", "invoice"}, {"file_type", "image"}}));
  ASSERT_GE(found["results"].size(), 1u);
  json none = Body(post({{"query", "invoice"}, {"file_types", {"video", "audio"}}}));
  for (const json& item : none["results"]) EXPECT_NE(item["file_type"], "image");
  json later = Body(post({{"query", "invoice"}, {"modified_after", "2999-01-01"}}));
  EXPECT_TRUE(later["results"].empty());
  EXPECT_TRUE(later["message"].is_string());
  json earlier = Body(post({{"query", "invoice"},
                            {"modified_after", "1990-01-01T00:00:00Z"},
                            {"sort_by", "date"},
                            {"sort_order", "asc"}}));
  EXPECT_FALSE(earlier["results"].empty());

  ExpectError(post({{"query", "invoice"}, {"sort_by", "colour"}}), 400);
  ExpectError(post({{"query", "invoice"}, {"modified_after", "yesterday"}}), 400);
  ExpectError(post({{"query", "invoice"}, {"modified_after", "nan"}}), 400);
  ExpectError(post({{"query", "invoice"}, {"directory", "relative/folder"}}), 400);
  ExpectError(post({{"query", "invoice"}, {"min_size", -1}}), 400);
  ExpectError(post({{"query", "invoice"}, {"file_types", {"document"}}}), 400);
  ExpectError(post({{"query", ""}}), 400);
  ExpectError(post({{"query", "   "}}), 400);
  ExpectError(post({{"top_k", 5}}), 400);
}

}  // namespace
}  // namespace msearch::server

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "raw_http.h"
#include "server/request_limits.h"
#include "server/upload_area.h"
#include "server_fixture.h"
#include "store/extraction_store.h"

namespace msearch::server {
namespace {

using nlohmann::json;

std::string Pattern(size_t size) {
  std::string bytes(size, '\0');
  for (size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>((i * 7 + i / 251) & 0xFF);
  return bytes;
}

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream input(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(input), {});
}

class MediaTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    video_ = media_dir_ / "long video.mp4";
    bytes_ = Pattern(300000);
    std::ofstream(video_, std::ios::binary) << bytes_;
  }

  httplib::Result Preview(httplib::Client& client, const std::string& path,
                          const std::string& range = "") {
    httplib::Headers headers;
    if (!range.empty()) headers.emplace("Range", range);
    return client.Get("/api/v1/files/preview", httplib::Params{{"path", path}}, headers);
  }

  std::filesystem::path video_;
  std::string bytes_;
};

TEST_F(MediaTest, PreviewServesWholeFile) {
  httplib::Client client = Client();
  auto result = Preview(client, video_.string());
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200) << result->body.substr(0, 200);
  EXPECT_EQ(result->get_header_value("Content-Type"), "video/mp4");
  EXPECT_EQ(result->get_header_value("Accept-Ranges"), "bytes");
  EXPECT_EQ(result->body, bytes_);
}

TEST_F(MediaTest, PreviewRangeReturnsExactBytes) {
  httplib::Client client = Client();
  struct Case {
    std::string range;
    size_t first;
    size_t last;
  };
  const std::vector<Case> cases = {
      {"bytes=0-0", 0, 0},
      {"bytes=100-299", 100, 299},
      {"bytes=299990-", 299990, 299999},
      {"bytes=-10", 299990, 299999},
      {"bytes=123456-999999999", 123456, 299999},
      {"bytes=0-299999", 0, 299999},
  };
  for (const Case& test_case : cases) {
    SCOPED_TRACE(test_case.range);
    auto result = Preview(client, video_.string(), test_case.range);
    ASSERT_TRUE(result);
    ASSERT_EQ(result->status, 206) << result->body.substr(0, 200);
    EXPECT_EQ(result->get_header_value("Content-Range"),
              "bytes " + std::to_string(test_case.first) + "-" + std::to_string(test_case.last) +
                  "/300000");
    EXPECT_EQ(result->get_header_value("Content-Type"), "video/mp4");
    EXPECT_EQ(result->body, bytes_.substr(test_case.first, test_case.last - test_case.first + 1));
  }
}

TEST_F(MediaTest, PreviewRejectsBadRanges) {
  httplib::Client client = Client();
  for (const std::string range : {"bytes=300000-", "bytes=400000-500000", "bytes=-0"}) {
    auto result = Preview(client, video_.string(), range);
    ExpectError(result, 416, range);
    ASSERT_TRUE(result);
    EXPECT_EQ(result->get_header_value("Content-Range"), "bytes */300000") << range;
  }
  // cpp-httplib rejects malformed ranges itself, before the size is known.
  for (const std::string range : {"bytes=20-10", "bytes=abc-def", "bytes=1-2-3"}) {
    ExpectError(Preview(client, video_.string(), range), 416, range);
  }
  auto multiple = Preview(client, video_.string(), "bytes=0-1,5-6");
  ASSERT_TRUE(multiple);
  EXPECT_EQ(multiple->status, 200) << "several ranges are answered with the whole file";
  EXPECT_EQ(multiple->body.size(), bytes_.size());
}

TEST_F(MediaTest, PreviewRejectsPathsOutside) {
  httplib::Client client = Client();
  std::filesystem::path link = media_dir_ / "escape.mp4";
  std::filesystem::create_symlink(secret_file_, link);
  std::filesystem::path text = media_dir_ / "notes.txt";
  std::ofstream(text) << "notes";
  struct Case {
    std::string name;
    std::string path;
    int status;
  };
  const std::vector<Case> cases = {
      {"system file", "/etc/passwd", 403},
      {"secret", secret_file_.string(), 403},
      {"dot-dot", (media_dir_ / ".." / "secret.txt").string(), 403},
      {"link out", link.string(), 403},
      {"not media", text.string(), 403},
      {"thumbnail folder", (config_.storage.thumbnail_dir / (photo_.uuid + ".jpg")).string(), 403},
      {"missing", (media_dir_ / "absent.mp4").string(), 404},
      {"relative", "media/long video.mp4", 400},
      {"empty", "", 400},
  };
  for (const Case& test_case : cases) {
    auto result = Preview(client, test_case.path, "bytes=0-5");
    ExpectError(result, test_case.status, test_case.name);
    ASSERT_TRUE(result);
    EXPECT_EQ(result->body.find("SECRET"), std::string::npos) << test_case.name;
  }
}

TEST_F(MediaTest, MediaByUuid) {
  httplib::Client client = Client();
  auto whole = client.Get("/api/v1/files/" + clip_.uuid + "/media");
  ASSERT_TRUE(whole);
  ASSERT_EQ(whole->status, 200) << whole->body;
  EXPECT_EQ(whole->body, "clip bytes");
  EXPECT_EQ(whole->get_header_value("Content-Type"), "video/mp4");

  auto part = client.Get("/api/v1/files/" + song_.uuid + "/media", {{"Range", "bytes=5-"}});
  ASSERT_TRUE(part);
  ASSERT_EQ(part->status, 206);
  EXPECT_EQ(part->body, "bytes");
  EXPECT_EQ(part->get_header_value("Content-Type"), "audio/mpeg");
  EXPECT_EQ(part->get_header_value("Content-Range"), "bytes 5-9/10");

  ExpectError(client.Get("/api/v1/files/00000000-0000-4000-8000-000000000000/media"), 404,
              "unknown uuid");
  std::filesystem::remove(voice_.path);
  ExpectError(client.Get("/api/v1/files/" + voice_.uuid + "/media"), 404, "file gone from disk");
}

TEST_F(MediaTest, HeadRequestHasNoBody) {
  httplib::Client client = Client();
  auto result = client.Head("/api/v1/files/" + clip_.uuid + "/media");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(result->get_header_value("Content-Length"), "10");
  EXPECT_TRUE(result->body.empty());
}

TEST_F(ServerTest, UploadStoresFile) {
  httplib::Client client = Client();
  std::string content = Pattern(200000);
  httplib::MultipartFormDataItems items = {
      {"note", "ignored", "", "text/plain"},
      {"file", content, "../../holiday 日本.jpg", "image/jpeg"},
  };
  auto result = client.Post("/api/v1/files/upload", items);
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200) << result->body;
  json body = JsonBody(result);
  EXPECT_EQ(body["success"], true);
  EXPECT_EQ(body["filename"], "holiday 日本.jpg");
  EXPECT_EQ(body["file_size"], content.size());
  ExpectIso8601(body["expires_at"], "expires_at");
  std::filesystem::path stored = body["file_path"].get<std::string>();
  EXPECT_EQ(stored.parent_path().parent_path(), config_.storage.data_dir / "uploads");
  EXPECT_EQ(ReadAll(stored), content);

  // The upload area counts as an allowed place for previews.
  auto preview = client.Get("/api/v1/files/preview", httplib::Params{{"path", stored.string()}},
                            {{"Range", "bytes=10-19"}});
  ASSERT_TRUE(preview);
  EXPECT_EQ(preview->status, 206);
  EXPECT_EQ(preview->body, content.substr(10, 10));
}

TEST_F(ServerTest, UploadRejectsInvalidInput) {
  httplib::Client client = Client();
  ExpectError(client.Post("/api/v1/files/upload",
                          httplib::MultipartFormDataItems{{"other", "x", "a.jpg", "image/jpeg"}}),
              400, "no file field");
  ExpectError(client.Post("/api/v1/files/upload", "{}", "application/json"), 400, "JSON body");
  ExpectError(client.Post("/api/v1/files/upload", "", "multipart/form-data; boundary=xyz"), 400,
              "empty multipart body");
  std::filesystem::path uploads = config_.storage.data_dir / "uploads";
  std::error_code error;
  size_t left = 0;
  for (auto it = std::filesystem::recursive_directory_iterator(uploads, error);
       it != std::filesystem::recursive_directory_iterator(); ++it) {
    if (it->is_regular_file()) ++left;
  }
  EXPECT_EQ(left, 0u) << "failed uploads leave no files";
}

TEST_F(ServerTest, UploadTooLargeIs413) {
  // The declared length is checked before any of the body is read.
  std::string response =
      RawHttp(server_->port(),
              "POST /api/v1/files/upload HTTP/1.1\r\nHost: 127.0.0.1\r\n"
              "Content-Type: multipart/form-data; boundary=xyz\r\nContent-Length: " +
                  std::to_string(kMaxUploadBytes + kMultipartOverheadBytes + 1) + "\r\n\r\n");
  EXPECT_EQ(RawStatus(response), 413) << response;
  EXPECT_NE(response.find("payload_too_large"), std::string::npos) << response;
}

TEST(UploadArea, SafeNames) {
  EXPECT_EQ(SafeUploadName("photo.jpg"), "photo.jpg");
  EXPECT_EQ(SafeUploadName("../../etc/passwd"), "passwd");
  EXPECT_EQ(SafeUploadName("C:\\Users\\me\\clip.mp4"), "clip.mp4");
  EXPECT_EQ(SafeUploadName(""), "upload");
  EXPECT_EQ(SafeUploadName(".."), "upload");
  EXPECT_EQ(SafeUploadName("a\nb.jpg"), "a_b.jpg");
  std::string long_name = std::string(300, 'x') + ".webm";
  std::string safe = SafeUploadName(long_name);
  EXPECT_LE(safe.size(), 200u);
  EXPECT_EQ(safe.substr(safe.size() - 5), ".webm");
  std::string chinese = SafeUploadName(std::string(250, 'a') + "日本日本日本日本日本日本.jpg");
  EXPECT_LE(chinese.size(), 200u);
}

TEST_F(ServerTest, SegmentsListAndThumbnails) {
  std::filesystem::path folder = config_.storage.thumbnail_dir / "cl" / clip_.uuid;
  std::filesystem::create_directories(folder);
  std::vector<store::SegmentRecord> video(2);
  video[0] = {0, 0, "video", 0, 0.0, 4.0, 2.0, (folder / "v0.jpg").string(), std::nullopt};
  video[1] = {0, 0, "video", 1, 4.0, 9.5, 6.0, std::nullopt, std::nullopt};
  std::vector<store::SegmentRecord> audio(1);
  audio[0] = {0, 0, "audio", 0, 0.0, 9.5, 4.75, (temp_ / "secret.txt").string(), std::nullopt};
  std::ofstream(folder / "v0.jpg", std::ios::binary) << "segment-jpeg";
  {
    store::Catalog catalog = OpenCatalog();
    store::ExtractionStore extraction(catalog.database());
    extraction.ReplaceSegments(clip_.id, "video", video);
    extraction.ReplaceSegments(clip_.id, "audio", audio);
  }
  httplib::Client client = Client();
  json body = JsonBody(client.Get("/api/v1/files/" + clip_.uuid + "/segments"));
  EXPECT_EQ(body["file_uuid"], clip_.uuid);
  ASSERT_EQ(body["total_segments"], 3);
  auto find = [&body](const std::string& track, int index) {
    for (const json& segment : body["segments"]) {
      if (segment["track"] == track && segment["index"] == index) return segment;
    }
    return json();
  };
  json first = find("video", 0);
  ASSERT_TRUE(first.is_object()) << body;
  EXPECT_EQ(first["index"], 0);
  EXPECT_EQ(first["start"], 0.0);
  EXPECT_EQ(first["end"], 4.0);
  EXPECT_EQ(first["centre"], 2.0);
  EXPECT_EQ(first["has_thumbnail"], true);
  EXPECT_EQ(first["preview_url"], "/api/v1/files/" + clip_.uuid + "/media#t=0.000,4.000");
  EXPECT_TRUE(find("video", 1)["thumbnail_url"].is_null());
  EXPECT_EQ(find("audio", 0)["centre"], 4.75);

  auto thumbnail = client.Get(first["thumbnail_url"].get<std::string>());
  ASSERT_TRUE(thumbnail);
  ASSERT_EQ(thumbnail->status, 200) << thumbnail->body;
  EXPECT_EQ(thumbnail->body, "segment-jpeg");
  EXPECT_EQ(thumbnail->get_header_value("Content-Type"), "image/jpeg");

  json videos = JsonBody(client.Get("/api/v1/files/" + clip_.uuid + "/segments?track=video"));
  EXPECT_EQ(videos["total_segments"], 2);
  std::string base = "/api/v1/files/" + clip_.uuid + "/segments/";
  ExpectError(client.Get(base + "audio/0/thumbnail"), 403, "thumbnail outside the folder");
  ExpectError(client.Get(base + "video/1/thumbnail"), 404, "segment without thumbnail");
  ExpectError(client.Get(base + "video/7/thumbnail"), 404, "unknown segment");
  ExpectError(client.Get(base + "text/0/thumbnail"), 404, "unknown track");
  ExpectError(client.Get("/api/v1/files/" + clip_.uuid + "/segments?track=text"), 400,
              "bad track filter");
  ExpectError(client.Get("/api/v1/files/nope/segments"), 404, "unknown uuid");

  json empty = JsonBody(client.Get("/api/v1/files/" + photo_.uuid + "/segments"));
  EXPECT_EQ(empty["total_segments"], 0);
}

TEST_F(ServerTest, ThumbnailByUuid) {
  httplib::Client client = Client();
  auto result = client.Get("/api/v1/files/" + photo_.uuid + "/thumbnail");
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200);
  EXPECT_EQ(result->body, photo_thumbnail_bytes_);
  ExpectError(client.Get("/api/v1/files/" + song_.uuid + "/thumbnail"), 404, "no thumbnail");
  ExpectError(client.Get("/api/v1/files/" + clip_.uuid + "/thumbnail"), 403, "linked out");
}

}  // namespace
}  // namespace msearch::server

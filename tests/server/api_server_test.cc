#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/error.h"
#include "server_fixture.h"

namespace msearch::server {
namespace {

using nlohmann::json;

httplib::Result SearchText(httplib::Client& client, const json& body) {
  return client.Post("/api/v1/search/text", body.dump(), "application/json");
}

std::string RepeatText(const std::string& unit, size_t count) {
  std::string text;
  for (size_t i = 0; i < count; ++i) text += unit;
  return text;
}

TEST_F(ServerTest, SearchByNameReturnsFile) {
  httplib::Client client = Client();
  auto result = SearchText(client, {{"query", "sunset"}});
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200) << result->body;
  json body = JsonBody(result);
  EXPECT_EQ(body["query"], "sunset");
  EXPECT_EQ(body["query_type"], "text");
  ASSERT_TRUE(body["search_time"].is_number());
  EXPECT_GE(body["search_time"].get<double>(), 0.0);
  ASSERT_EQ(body["total_results"], 1);
  ASSERT_EQ(body["results"].size(), 1u);

  const json& item = body["results"][0];
  EXPECT_EQ(item["file_uuid"], photo_.uuid);
  EXPECT_EQ(item["file_path"], photo_.path.string());
  EXPECT_EQ(item["file_name"], "sunset_beach.jpg");
  EXPECT_EQ(item["file_type"], "image");
  EXPECT_EQ(item["modality"], "image");
  ASSERT_TRUE(item["score"].is_number());
  EXPECT_GT(item["score"].get<double>(), 0.0);
  EXPECT_LE(item["score"].get<double>(), 1.0);
  ASSERT_TRUE(item["thumbnail_path"].is_string());
  EXPECT_EQ(item["thumbnail_path"].get<std::string>().rfind("/api/v1/files/thumbnail?path=", 0),
            0u);
  EXPECT_EQ(item["preview_path"], "/api/v1/files/" + photo_.uuid + "/media");
  EXPECT_TRUE(item["timestamp_info"].is_null());
  ASSERT_TRUE(item["metadata"].is_object());
  EXPECT_EQ(item["metadata"]["width"], 640);
  EXPECT_EQ(item["metadata"]["height"], 480);
  EXPECT_EQ(item["metadata"]["format"], "jpeg");
  EXPECT_EQ(item["metadata"]["size"], 11);
  EXPECT_EQ(item["metadata"]["tags"]["title"], "Golden hour");
  EXPECT_EQ(item["matched_fields"], json::array({"name", "path"}));
}

TEST_F(ServerTest, SearchThumbnailUrlServesThumbnail) {
  httplib::Client client = Client();
  json body = JsonBody(SearchText(client, {{"query", "sunset"}}));
  ASSERT_EQ(body["results"].size(), 1u);
  auto thumbnail = client.Get(body["results"][0]["thumbnail_path"].get<std::string>());
  ASSERT_TRUE(thumbnail);
  EXPECT_EQ(thumbnail->status, 200);
  EXPECT_EQ(thumbnail->body, photo_thumbnail_bytes_);
}

TEST_F(ServerTest, SearchChineseSubstring) {
  httplib::Client client = Client();
  for (const std::string query : {"会议记录", "北京", "会议 北京"}) {
    SCOPED_TRACE(query);
    json body = JsonBody(SearchText(client, {{"query", query}}));
    ASSERT_EQ(body["total_results"], 1);
    EXPECT_EQ(body["results"][0]["file_uuid"], song_.uuid);
    EXPECT_EQ(body["results"][0]["file_type"], "audio");
    EXPECT_TRUE(body["results"][0]["thumbnail_path"].is_null());
    EXPECT_EQ(body["query"], query);
  }
}

TEST_F(ServerTest, SearchMatchesTags) {
  httplib::Client client = Client();
  json body = JsonBody(SearchText(client, {{"query", "golden hour"}}));
  ASSERT_EQ(body["total_results"], 1);
  EXPECT_EQ(body["results"][0]["file_uuid"], photo_.uuid);
  EXPECT_EQ(body["results"][0]["matched_fields"], json::array({"tags"}));
}

TEST_F(ServerTest, SearchTopKAndFilters) {
  httplib::Client client = Client();
  // Every catalogued path contains the folder name "media".
  json all = JsonBody(SearchText(client, {{"query", "media"}}));
  EXPECT_EQ(all["total_results"], 4);

  json one = JsonBody(SearchText(client, {{"query", "media"}, {"top_k", 1}}));
  EXPECT_EQ(one["total_results"], 1);
  EXPECT_EQ(one["results"].size(), 1u);

  json audio = JsonBody(SearchText(client, {{"query", "media"}, {"file_type", "audio"}}));
  ASSERT_EQ(audio["total_results"], 2);
  for (const json& item : audio["results"]) EXPECT_EQ(item["file_type"], "audio");

  double top_score = all["results"][0]["score"].get<double>();
  json strict = JsonBody(SearchText(client, {{"query", "media"}, {"threshold", 1.0}}));
  for (const json& item : strict["results"]) EXPECT_GE(item["score"].get<double>(), 1.0);
  if (top_score < 1.0) {
    EXPECT_EQ(strict["total_results"], 0);
  }

  json none = JsonBody(SearchText(client, {{"query", "nothing-matches-this"}}));
  EXPECT_EQ(none["total_results"], 0);
  EXPECT_EQ(none["results"], json::array());
}

TEST_F(ServerTest, SearchAcceptsLimits) {
  httplib::Client client = Client();
  // 1000 characters, each three bytes in UTF-8: the limit counts characters.
  for (const json& body : {json{{"query", RepeatText("会", 1000)}, {"top_k", 100}},
                           json{{"query", RepeatText("a", 1000)}, {"top_k", 1}},
                           json{{"query", "sunset"}, {"top_k", 20.0}, {"threshold", 0}},
                           json{{"query", "sunset"}, {"threshold", nullptr}}}) {
    auto result = SearchText(client, body);
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, 200) << body.dump().substr(0, 80) << ": " << result->body;
  }
}

TEST_F(ServerTest, SearchRejectsInvalidInput) {
  httplib::Client client = Client();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"missing query", R"({})"},
      {"empty query", R"({"query": ""})"},
      {"blank query", R"({"query": "   "})"},
      {"query too long", json{{"query", RepeatText("a", 1001)}}.dump()},
      {"chinese query too long", json{{"query", RepeatText("会", 1001)}}.dump()},
      {"query not a string", R"({"query": 5})"},
      {"top_k zero", R"({"query": "a", "top_k": 0})"},
      {"top_k 101", R"({"query": "a", "top_k": 101})"},
      {"top_k fraction", R"({"query": "a", "top_k": 2.5})"},
      {"top_k string", R"({"query": "a", "top_k": "5"})"},
      {"top_k bool", R"({"query": "a", "top_k": true})"},
      {"top_k huge", R"({"query": "a", "top_k": 1e300})"},
      {"threshold 2", R"({"query": "a", "threshold": 2})"},
      {"threshold negative", R"({"query": "a", "threshold": -0.1})"},
      {"threshold string", R"({"query": "a", "threshold": "high"})"},
      {"bad file_type", R"({"query": "a", "file_type": "text"})"},
      {"bad JSON", R"({"query": )"},
      {"JSON array", R"(["query"])"},
      {"empty body", ""},
      {"invalid UTF-8", "{\"query\": \"\xff\xfe\"}"},
  };
  for (const auto& [name, body] : cases) {
    ExpectError(client.Post("/api/v1/search/text", body, "application/json"), 400, name);
  }
  ExpectError(client.Post("/api/v1/search/text", R"({"query": "sunset"})", "text/plain"), 400,
              "wrong content type");
  std::string deep = std::string(200000, '[') + std::string(200000, ']');
  ExpectError(client.Post("/api/v1/search/text", deep, "application/json"), 400, "deep nesting");
  std::string deep_query =
      R"({"query": "a", "x": )" + std::string(200000, '[') + std::string(200000, ']') + "}";
  ExpectError(client.Post("/api/v1/search/text", deep_query, "application/json"), 400,
              "deep nesting in an unknown field");
  std::string deep_top_k =
      R"({"query": "a", "top_k": )" + std::string(100000, '[') + std::string(100000, ']') + "}";
  ExpectError(client.Post("/api/v1/search/text", deep_top_k, "application/json"), 400,
              "deep nesting in a known field");
  std::string shallow =
      R"({"query": "a", "x": )" + std::string(60, '[') + std::string(60, ']') + "}";
  auto nested = client.Post("/api/v1/search/text", shallow, "application/json");
  ASSERT_TRUE(nested);
  EXPECT_EQ(nested->status, 200) << "unknown fields within the depth limit are ignored";
  ExpectError(client.Post("/api/v1/search/text", httplib::Params{{"query", "sunset"}}), 400,
              "form body");
}

TEST_F(ServerTest, SearchNamesParameterInError) {
  httplib::Client client = Client();
  json body = JsonBody(SearchText(client, {{"query", "a"}, {"top_k", 101}}));
  EXPECT_EQ(body["detail"]["parameter"], "top_k");
  EXPECT_NE(body["message"].get<std::string>().find("1 to 100"), std::string::npos)
      << body["message"];
}

TEST_F(ServerTest, SearchOddQueriesNeverFail) {
  httplib::Client client = Client();
  for (const std::string query :
       {"\"", "\"\"\"", "*", "a*", "NEAR(a b)", "sun AND set", "OR", "%", "_", "\\",
        "'; DROP TABLE files; --", "(((", "^sun", "col:sun", "😀😀😀", "a\tb\nc"}) {
    auto result = SearchText(client, {{"query", query}});
    ASSERT_TRUE(result) << query;
    EXPECT_EQ(result->status, 200) << query << ": " << result->body;
  }
}

TEST_F(ServerTest, RejectsOversizedBody) {
  httplib::Client client = Client();
  std::string body = R"({"query": ")" + std::string(9 * 1024 * 1024, 'a') + R"("})";
  auto result = client.Post("/api/v1/search/text", body, "application/json");
  // The server may close the connection before the client finishes sending.
  if (result) ExpectError(result, 413, "oversized body");
}

TEST_F(ServerTest, ListFilesReturnsFileInfo) {
  httplib::Client client = Client();
  json body = JsonBody(client.Get("/api/v1/files/list"));
  EXPECT_EQ(body["total_files"], 4);
  ASSERT_EQ(body["files"].size(), 4u);
  for (const json& file : body["files"]) {
    SCOPED_TRACE(file.dump());
    EXPECT_TRUE(file["file_uuid"].is_string());
    EXPECT_TRUE(file["file_path"].is_string());
    EXPECT_TRUE(file["file_name"].is_string());
    EXPECT_TRUE(file["file_type"].is_string());
    EXPECT_TRUE(file["file_size"].is_number_integer());
    ExpectIso8601(file["created_at"], "created_at");
    ExpectIso8601(file["modified_at"], "modified_at");
    EXPECT_TRUE(file["indexed"].is_boolean());
    EXPECT_TRUE(file["has_thumbnail"].is_boolean());
    EXPECT_EQ(file["has_preview"], true);
    EXPECT_EQ(file["preview_url"],
              "/api/v1/files/" + file["file_uuid"].get<std::string>() + "/media");
    EXPECT_TRUE(file["status"].is_string());
    EXPECT_TRUE(file.contains("error"));
  }
}

TEST_F(ServerTest, ListFilesFilters) {
  httplib::Client client = Client();
  json images = JsonBody(client.Get("/api/v1/files/list?file_type=image"));
  ASSERT_EQ(images["total_files"], 1);
  EXPECT_EQ(images["files"][0]["file_uuid"], photo_.uuid);
  EXPECT_EQ(images["files"][0]["indexed"], true);
  EXPECT_EQ(images["files"][0]["has_thumbnail"], true);
  EXPECT_EQ(images["files"][0]["file_size"], 11);

  json indexed = JsonBody(client.Get("/api/v1/files/list?indexed_only=true"));
  ASSERT_EQ(indexed["total_files"], 1);
  EXPECT_EQ(indexed["files"][0]["file_uuid"], photo_.uuid);

  json audio = JsonBody(client.Get("/api/v1/files/list?file_type=audio"));
  EXPECT_EQ(audio["total_files"], 2);

  json page = JsonBody(client.Get("/api/v1/files/list?limit=1&offset=1"));
  EXPECT_EQ(page["total_files"], 4);
  EXPECT_EQ(page["files"].size(), 1u);
  json past_end = JsonBody(client.Get("/api/v1/files/list?offset=4"));
  EXPECT_EQ(past_end["total_files"], 4);
  EXPECT_EQ(past_end["files"].size(), 0u);
}

TEST_F(ServerTest, ListFilesRejectsInvalidInput) {
  httplib::Client client = Client();
  for (const std::string query :
       {"limit=0", "limit=1001", "limit=abc", "limit=", "limit=10x", "offset=-1", "file_type=text",
        "indexed_only=maybe", "limit=99999999999999999999"}) {
    ExpectError(client.Get("/api/v1/files/list?" + query), 400, query);
  }
}

TEST_F(ServerTest, GetFileByUuid) {
  httplib::Client client = Client();
  auto result = client.Get("/api/v1/files/" + photo_.uuid);
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200) << result->body;
  json body = JsonBody(result);
  EXPECT_EQ(body["file_uuid"], photo_.uuid);
  EXPECT_EQ(body["file_path"], photo_.path.string());
  EXPECT_EQ(body["file_name"], "sunset_beach.jpg");
  EXPECT_EQ(body["indexed"], true);
  EXPECT_EQ(body["metadata"]["width"], 640);
  EXPECT_EQ(body["metadata"]["format"], "jpeg");

  json song = JsonBody(client.Get("/api/v1/files/" + song_.uuid));
  EXPECT_EQ(song["file_name"], "项目会议记录_北京.mp3");
  EXPECT_EQ(song["indexed"], false);
  EXPECT_EQ(song["metadata"]["size"], 10);
  EXPECT_FALSE(song["metadata"].contains("width"));

  ExpectError(client.Get("/api/v1/files/00000000-0000-4000-8000-000000000000"), 404,
              "unknown uuid");
  ExpectError(client.Get("/api/v1/files/%27%20OR%201%3D1"), 404, "injection-like uuid");
}

TEST_F(ServerTest, ThumbnailServesCataloguedFile) {
  httplib::Client client = Client();
  auto result =
      client.Get("/api/v1/files/thumbnail", httplib::Params{{"path", photo_.path.string()}}, {});
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200) << result->body;
  EXPECT_EQ(result->get_header_value("Content-Type"), "image/jpeg");
  EXPECT_EQ(result->body, photo_thumbnail_bytes_);
}

TEST_F(ServerTest, ThumbnailRejectsTraversal) {
  httplib::Client client = Client();
  std::filesystem::path thumbnail = config_.storage.thumbnail_dir / (photo_.uuid + ".jpg");
  struct Case {
    std::string name;
    std::string path;
    int status;
  };
  const std::vector<Case> cases = {
      {"dot-dot to secret", (media_dir_ / ".." / "secret.txt").string(), 404},
      {"dot-dot to catalogued file", (media_dir_ / ".." / "media" / "sunset_beach.jpg").string(),
       404},
      {"system file", "/etc/passwd", 404},
      {"relative dot-dot", "../../../../etc/passwd", 404},
      {"thumbnail file itself", thumbnail.string(), 404},
      {"secret file", secret_file_.string(), 404},
      {"catalogued file without thumbnail", song_.path.string(), 404},
      {"thumbnail linked outside the folder", clip_.path.string(), 403},
      {"thumbnail recorded with dot-dot", voice_.path.string(), 403},
  };
  for (const Case& test_case : cases) {
    auto result =
        client.Get("/api/v1/files/thumbnail", httplib::Params{{"path", test_case.path}}, {});
    ExpectError(result, test_case.status, test_case.name);
    ASSERT_TRUE(result);
    EXPECT_EQ(result->body.find("SECRET-CONTENT"), std::string::npos) << test_case.name;
    EXPECT_EQ(result->body.find("root:"), std::string::npos) << test_case.name;
  }
  ExpectError(client.Get("/api/v1/files/thumbnail"), 400, "missing path");
  ExpectError(client.Get("/api/v1/files/thumbnail?path="), 400, "empty path");
}

TEST_F(ServerTest, HealthReportsProcesses) {
  httplib::Client client = Client();
  auto result = client.Get("/health");
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200);
  json body = JsonBody(result);
  EXPECT_EQ(body["status"], "ok");
  EXPECT_EQ(body["version"], "0.1.0");
  ASSERT_TRUE(body["uptime"].is_number());
  EXPECT_GE(body["uptime"].get<double>(), 0.0);
  EXPECT_EQ(body["processes"], hooks_->processes);
  EXPECT_EQ(body["database"]["reachable"], true);
  EXPECT_EQ(body["database"]["catalog"], "ok");
  EXPECT_EQ(body["database"]["task_queue"], "ok");
}

TEST_F(ServerTest, HealthDegradedWhenProcessFailed) {
  {
    std::lock_guard lock(hooks_->mutex);
    hooks_->processes[1]["status"] = "failed";
  }
  httplib::Client client = Client();
  json body = JsonBody(client.Get("/health"));
  EXPECT_EQ(body["status"], "degraded");
  EXPECT_EQ(body["processes"][1]["status"], "failed");
}

TEST_F(ServerTest, SystemInfoFields) {
  httplib::Client client = Client();
  json body = JsonBody(client.Get("/api/v1/system/info"));
  EXPECT_EQ(body["version"], "0.1.0");
  ASSERT_TRUE(body["python_version"].is_string());
  EXPECT_EQ(body["python_version"].get<std::string>().rfind("C++20", 0), 0u)
      << body["python_version"];
  ASSERT_TRUE(body["platform"].is_string());
  EXPECT_EQ(body["platform"].get<std::string>().rfind("Linux", 0), 0u) << body["platform"];
  EXPECT_TRUE(body["uptime"].is_number());
  EXPECT_EQ(body["models"], json::array());
  EXPECT_EQ(body["database_status"], "connected");
  EXPECT_EQ(body["vector_store_status"], "ready");
}

TEST_F(ServerTest, SystemStatsFields) {
  httplib::Client client = Client();
  json body = JsonBody(client.Get("/api/v1/system/stats"));
  EXPECT_EQ(body["total_files"], 4);
  EXPECT_EQ(body["indexed_files"], 1);
  EXPECT_EQ(body["total_vectors"], 0);
  EXPECT_EQ(body["active_tasks"], 3);  // two pending, one running
  EXPECT_EQ(body["completed_tasks"], 1);
  EXPECT_EQ(body["failed_tasks"], 1);
  ASSERT_TRUE(body["memory_usage"].is_object());
  EXPECT_EQ(body["memory_usage"]["processes_rss_bytes"], 3000);
  EXPECT_GT(body["memory_usage"]["api_process_rss_bytes"].get<int64_t>(), 0);
  ASSERT_TRUE(body["disk_usage"].is_object());
  EXPECT_GT(body["disk_usage"]["total_bytes"].get<int64_t>(), 0);
}

TEST_F(ServerTest, UnknownRouteIsJson404) {
  httplib::Client client = Client();
  ExpectError(client.Get("/api/v1/no-such-route"), 404, "unknown route");
  ExpectError(client.Put("/api/v1/tasks", "", "text/plain"), 404, "unknown method");
}

TEST_F(ServerTest, RejectsCrossSiteRequests) {
  httplib::Client client = Client();
  ExpectError(client.Post("/api/v1/tasks/cancel-all",
                          httplib::Headers{{"Origin", "http://evil.example"}}, httplib::Params{}),
              403, "foreign origin");
  ExpectError(client.Get("/api/v1/tasks", httplib::Headers{{"Origin", "null"}}), 403,
              "null origin");
  ExpectError(client.Get("/api/v1/tasks", httplib::Headers{{"Host", "rebind.example:8000"}}), 403,
              "foreign host");
  ExpectError(client.Get("/api/v1/tasks", httplib::Headers{{"Host", "127.0.0.1.evil.example"}}),
              403, "host that starts like a loopback address");

  json tasks = JsonBody(client.Get("/api/v1/tasks?status=pending"));
  EXPECT_EQ(tasks["total_tasks"], 2) << "the rejected cancel-all must not run";

  std::string own_origin = "http://localhost:" + std::to_string(server_->port());
  auto same_origin = client.Get("/api/v1/tasks", httplib::Headers{{"Origin", own_origin}});
  ASSERT_TRUE(same_origin);
  EXPECT_EQ(same_origin->status, 200);
}

class TokenServerTest : public ServerTest {
 protected:
  void SetUp() override {
    PrepareData();
    config_.api.token = "s3cret-token";
    StartServer();
  }
};

TEST_F(TokenServerTest, TokenRequired) {
  httplib::Client client = Client();
  auto missing = client.Get("/api/v1/tasks");
  ExpectError(missing, 401, "no token");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->get_header_value("WWW-Authenticate"), "Bearer");
  ExpectError(client.Get("/api/v1/tasks", httplib::Headers{{"Authorization", "Bearer wrong"}}), 401,
              "wrong token");
  ExpectError(
      client.Get("/api/v1/tasks", httplib::Headers{{"Authorization", "Bearer s3cret-token-x"}}),
      401, "token with suffix");
  ExpectError(client.Get("/api/v1/tasks", httplib::Headers{{"Authorization", "s3cret-token"}}), 401,
              "token without scheme");
  ExpectError(client.Post("/api/v1/search/text", R"({"query": "sunset"})", "application/json"), 401,
              "search without token");

  auto health = client.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);

  client.set_bearer_token_auth("s3cret-token");
  auto allowed = client.Get("/api/v1/tasks");
  ASSERT_TRUE(allowed);
  EXPECT_EQ(allowed->status, 200);
  auto search = client.Post("/api/v1/search/text", R"({"query": "sunset"})", "application/json");
  ASSERT_TRUE(search);
  EXPECT_EQ(search->status, 200);
}

TEST_F(ServerTest, PortInUseNamesAddressAndFix) {
  config::Config second = config_;
  second.api.port = server_->port();
  ApiServer other(second, ServerHooks{});
  try {
    other.Start();
    FAIL() << "a second server started on port " << second.api.port;
  } catch (const Error& error) {
    std::string message = error.what();
    EXPECT_NE(message.find("127.0.0.1:" + std::to_string(second.api.port)), std::string::npos)
        << message;
    EXPECT_NE(message.find("api.port"), std::string::npos) << message;
    EXPECT_NE(message.find("in use"), std::string::npos) << message;
  }
}

TEST_F(ServerTest, StopIsIdempotent) {
  EXPECT_TRUE(server_->running());
  server_->Stop();
  EXPECT_FALSE(server_->running());
  server_->Stop();
  httplib::Client client = Client();
  EXPECT_FALSE(client.Get("/health"));
}

}  // namespace
}  // namespace msearch::server

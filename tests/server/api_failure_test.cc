#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "server_fixture.h"
#include "store/sqlite.h"

namespace msearch::server {
namespace {

using nlohmann::json;

std::string ReadText(const std::filesystem::path& path) {
  std::ifstream input(path);
  std::stringstream text;
  text << input.rdbuf();
  return text.str();
}

// The access log line is written after the response is sent, so wait for it.
std::string WaitForLogLine(const std::string& needle) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  std::string log;
  while (std::chrono::steady_clock::now() < deadline) {
    log = ReadText(TestLogDir() / "api_server.log");
    if (log.find(needle) != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return log;
}

TEST_F(ServerTest, LogsEachRequest) {
  httplib::Client client = Client();
  std::string marker = "/api/v1/log-marker-" + std::to_string(server_->port());
  ExpectError(client.Get(marker), 404, "unknown route");
  std::string log = WaitForLogLine("GET " + marker + " 404 ");
  EXPECT_NE(log.find("GET " + marker + " 404 "), std::string::npos) << log;

  ExpectError(client.Get("/api/v1/files/list?limit=0&marker=" + marker), 400, "invalid limit");
  log = WaitForLogLine("invalid value '0' for 'limit'");
  EXPECT_NE(log.find("GET /api/v1/files/list rejected with 400 invalid_request: invalid value "
                     "'0' for 'limit'"),
            std::string::npos)
      << log;
}

TEST_F(ServerTest, InternalErrorIs500WithLoggedId) {
  {
    store::Database database(config_.storage.catalog_path);
    database.Execute("DROP TABLE media_metadata; DROP TABLE files;");
  }
  httplib::Client client = Client();
  auto result = client.Get("/api/v1/files/list");
  ExpectError(result, 500, "missing table");
  ASSERT_TRUE(result);
  json body = JsonBody(result);
  EXPECT_EQ(body["error"], "internal_error");
  ASSERT_TRUE(body["detail"]["error_id"].is_string());
  std::string error_id = body["detail"]["error_id"];
  EXPECT_EQ(error_id.size(), 8u);
  EXPECT_EQ(result->body.find("no such table"), std::string::npos)
      << "internal details belong in the log, not the response";

  std::string log = ReadText(TestLogDir() / "api_server.log");
  size_t line = log.find("internal error " + error_id);
  ASSERT_NE(line, std::string::npos) << log;
  EXPECT_NE(log.find("no such table", line), std::string::npos) << log;

  auto health = client.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200) << "the server keeps serving after an internal error";
}

class UnreachableDatabaseTest : public ServerTest {
 protected:
  void SetUp() override {
    PrepareData();
    // A folder where the catalog file should be: SQLite cannot open it.
    config_.storage.catalog_path = temp_ / "not-a-database";
    std::filesystem::create_directories(config_.storage.catalog_path);
    StartServer();
  }
};

TEST_F(UnreachableDatabaseTest, Returns503AndDegradedHealth) {
  httplib::Client client = Client();
  ExpectError(client.Get("/api/v1/files/list"), 503, "files");
  ExpectError(client.Post("/api/v1/search/text", R"({"query": "sunset"})", "application/json"), 503,
              "search");
  json health = JsonBody(client.Get("/health"));
  EXPECT_EQ(health["status"], "degraded");
  EXPECT_EQ(health["database"]["reachable"], false);
  EXPECT_EQ(health["database"]["task_queue"], "ok");
  json info = JsonBody(client.Get("/api/v1/system/info"));
  EXPECT_EQ(info["database_status"], "error");
  json tasks = JsonBody(client.Get("/api/v1/tasks"));
  EXPECT_EQ(tasks["total_tasks"], 5) << "the task queue stays usable";
}

class NoHooksTest : public ServerTest {
 protected:
  void SetUp() override {
    PrepareData();
    server_ = std::make_unique<ApiServer>(config_, ServerHooks{});
    server_->Start();
  }
};

TEST_F(NoHooksTest, RoutesWorkWithoutHooks) {
  httplib::Client client = Client();
  json health = JsonBody(client.Get("/health"));
  EXPECT_EQ(health["status"], "ok");
  EXPECT_EQ(health["processes"], json::array());

  std::filesystem::path folder = temp_ / "other";
  std::filesystem::create_directories(folder);
  json added = JsonBody(
      client.Post("/api/v1/index/directory", httplib::Params{{"directory", folder.string()}}));
  EXPECT_EQ(added["success"], true);
  EXPECT_EQ(added["data"]["monitor_notified"], false);

  json pool = JsonBody(client.Get("/api/v1/tasks/thread-pool/status"));
  EXPECT_EQ(pool["thread_pool"]["worker_processes"], 0);

  json info = JsonBody(client.Get("/api/v1/system/info"));
  EXPECT_EQ(info["vector_store_status"], "not configured");
  json vectors = JsonBody(client.Get("/api/v1/vector/stats"));
  EXPECT_EQ(vectors["total_vectors"], 0);
}

class ThrowingHooksTest : public ServerTest {
 protected:
  void SetUp() override {
    PrepareData();
    ServerHooks hooks;
    hooks.process_status = []() -> json { throw std::runtime_error("supervisor gone"); };
    hooks.directories_changed = [] { throw std::runtime_error("monitor gone"); };
    server_ = std::make_unique<ApiServer>(config_, std::move(hooks));
    server_->Start();
  }
};

TEST_F(ThrowingHooksTest, HookFailuresAreReported) {
  httplib::Client client = Client();
  json health = JsonBody(client.Get("/health"));
  EXPECT_EQ(health["status"], "degraded");

  std::filesystem::path folder = temp_ / "other";
  std::filesystem::create_directories(folder);
  auto added =
      client.Post("/api/v1/index/directory", httplib::Params{{"directory", folder.string()}});
  ASSERT_TRUE(added);
  EXPECT_EQ(added->status, 200) << "the directory is stored even when the monitor is not told";
  EXPECT_EQ(JsonBody(added)["data"]["monitor_notified"], false);
}

}  // namespace
}  // namespace msearch::server

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "queue/task_queue.h"
#include "raw_http.h"
#include "server_fixture.h"
#include "store/embedding_store.h"

namespace msearch::server {
namespace {

using nlohmann::json;

TEST_F(ServerTest, VectorStatsCountsSpaces) {
  {
    store::Catalog catalog = OpenCatalog();
    store::EmbeddingStore embeddings(catalog.database());
    std::vector<store::NewEmbedding> image = {{std::nullopt, {1, 0, 0, 0}}};
    std::vector<store::NewEmbedding> other = {{std::nullopt, {0, 1}}};
    embeddings.ReplaceFileVectors(photo_.id, "openai--clip-vit-base-patch32", image);
    embeddings.ReplaceFileVectors(song_.id, "laion--clap-htsat-unfused", other);
    embeddings.ReplaceFileVectors(voice_.id, "laion--clap-htsat-unfused", other);
  }
  config_.models.image = "openai/clip-vit-base-patch32";
  config_.models.audio = "laion/clap-htsat-unfused";
  {
    std::lock_guard lock(hooks_->mutex);
    hooks_->index_status =
        json::array({{{"space", "openai--clip-vit-base-patch32"}, {"mode", "exact"}, {"size", 1}}});
  }
  server_->Stop();
  StartServer();

  httplib::Client client = Client();
  json body = JsonBody(client.Get("/api/v1/vector/stats"));
  EXPECT_EQ(body["total_vectors"], 3);
  EXPECT_EQ(body["total_vector_bytes"], 4 * 4 + 2 * 2 * 4);
  EXPECT_EQ(body["vector_store_status"], "ready");
  ASSERT_EQ(body["spaces"].size(), 2u);
  const json& audio = body["spaces"][0];
  EXPECT_EQ(audio["space"], "laion--clap-htsat-unfused");
  EXPECT_EQ(audio["vectors"], 2);
  EXPECT_EQ(audio["dimension"], 2);
  EXPECT_EQ(audio["modalities"], json::array({"audio"}));
  EXPECT_TRUE(audio["index"].is_null());
  const json& image = body["spaces"][1];
  EXPECT_EQ(image["vectors"], 1);
  EXPECT_EQ(image["modalities"], json::array({"image", "video"}));
  EXPECT_EQ(image["index"]["mode"], "exact");

  json stats = JsonBody(client.Get("/api/v1/system/stats"));
  EXPECT_EQ(stats["total_vectors"], 3);
}

TEST_F(ServerTest, ModelsReportConfiguredAndInstalled) {
  std::filesystem::path models = temp_ / "models";
  config_.models.dir = models;
  config_.models.image = "openai/clip-vit-base-patch32";
  config_.models.text = {"openai/clip-vit-base-patch32"};
  config_.models.audio = "laion/clap-htsat-unfused";
  // A folder that is present but not a valid checkpoint.
  std::filesystem::create_directories(models / "openai--clip-vit-base-patch32");
  std::ofstream(models / "openai--clip-vit-base-patch32" / "config.json")
      << R"({"projection_dim": 512})";
  server_->Stop();
  StartServer();

  httplib::Client client = Client();
  json body = JsonBody(client.Get("/api/v1/models"));
  EXPECT_EQ(body["models_dir"], models.string());
  ASSERT_EQ(body["configured"].size(), 3u);
  const json& image = body["configured"][0];
  EXPECT_EQ(image["role"], "image");
  EXPECT_EQ(image["config_key"], "models.image");
  EXPECT_EQ(image["model_id"], "openai/clip-vit-base-patch32");
  EXPECT_EQ(image["model_name"], "openai--clip-vit-base-patch32");
  EXPECT_EQ(image["status"], "invalid");
  EXPECT_TRUE(image["problem"].is_string());
  EXPECT_EQ(image["embedding_dim"], 512);
  EXPECT_EQ(image["loaded"], false);
  EXPECT_EQ(body["configured"][1]["config_key"], "models.text[0]");
  const json& audio = body["configured"][2];
  EXPECT_EQ(audio["status"], "not_installed");
  EXPECT_TRUE(audio["embedding_dim"].is_null());
  ASSERT_EQ(body["installed"].size(), 1u);
  EXPECT_EQ(body["installed"][0]["name"], "openai--clip-vit-base-patch32");
  EXPECT_EQ(body["installed"][0]["used_by"], json::array({"models.image", "models.text"}));

  json info = JsonBody(client.Get("/api/v1/system/info"));
  ASSERT_EQ(info["models"].size(), 3u);
  for (const json& model : info["models"]) {
    for (const char* field :
         {"model_id", "model_name", "status", "embedding_dim", "device", "loaded"}) {
      EXPECT_TRUE(model.contains(field)) << field;
    }
  }
  EXPECT_EQ(info["models"][2]["status"], "not_installed");
}

TEST_F(ServerTest, ModelLoadedInferredFromRecentEmbeds) {
  config_.models.image = "openai/clip-vit-base-patch32";
  config_.models.dir = temp_ / "models";
  std::filesystem::path model = config_.models.dir / "openai--clip-vit-base-patch32";
  std::filesystem::create_directories(model);
  {
    std::lock_guard lock(hooks_->mutex);
    hooks_->processes.push_back(
        {{"id", "embedding_worker_1"}, {"type", "embedding_worker"}, {"status", "running"}});
    hooks_->query_models_loaded = {"openai--clip-vit-base-patch32"};
  }
  {
    queue::TaskQueue queue(config_.ipc.task_queue.path, queue::QueueOptions{});
    queue::NewTask task;
    task.type = "embed";
    task.data = {{"file_id", photo_.id}, {"modality", "image"}};
    std::string id = queue.Enqueue(task).task_id;
    std::vector<std::string> types = {"embed"};
    ASSERT_EQ(queue.Claim("embedder", types, 1).size(), 1u);
    ASSERT_TRUE(queue.Complete(id, "embedder"));
  }
  server_->Stop();
  StartServer();
  httplib::Client client = Client();
  json body = JsonBody(client.Get("/api/v1/models"));
  const json& image = body["configured"][0];
  EXPECT_EQ(image["loaded"], true);
  EXPECT_EQ(image["loaded_in"], json::array({"embedding_worker", "api"}));
}

class HealthTokenTest : public ServerTest {
 protected:
  void SetUp() override {
    PrepareData();
    config_.api.token = "health-token";
    StartServer();
  }
};

TEST_F(HealthTokenTest, HealthWithoutTokenShowsOnlyStatus) {
  httplib::Client client = Client();
  json anonymous = JsonBody(client.Get("/health"));
  EXPECT_EQ(anonymous, json({{"status", "ok"}}));
  json wrong = JsonBody(client.Get("/health", {{"Authorization", "Bearer nope"}}));
  EXPECT_EQ(wrong, json({{"status", "ok"}}));

  client.set_bearer_token_auth("health-token");
  json full = JsonBody(client.Get("/health"));
  EXPECT_EQ(full["status"], "ok");
  EXPECT_EQ(full["processes"].size(), 2u);
  EXPECT_TRUE(full["database"].is_object());
}

TEST_F(ServerTest, PostWithoutContentLengthHasEmptyBody) {
  // curl -X POST sends no Content-Length; HTTP/1.1 reads that as no body.
  // The connection stays open, so a server that waited for more input would
  // never send the response below.
  std::string response = RawHttp(
      server_->port(), "POST /api/v1/index/reindex-all HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  EXPECT_EQ(RawStatus(response), 200) << response;
  EXPECT_NE(response.find("\"success\":true"), std::string::npos) << response;
  std::lock_guard lock(hooks_->mutex);
  EXPECT_EQ(hooks_->rescans.size(), 1u);
}

TEST_F(ServerTest, ChunkedJsonBodyIs411) {
  std::string response = RawHttp(server_->port(),
                                 "POST /api/v1/search/text HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                 "Content-Type: application/json\r\n"
                                 "Transfer-Encoding: chunked\r\n\r\n");
  EXPECT_EQ(RawStatus(response), 411) << response;
  EXPECT_NE(response.find("Content-Length"), std::string::npos) << response;
}

TEST_F(ServerTest, DeclaredOversizedBodyIs413) {
  std::string response = RawHttp(server_->port(),
                                 "POST /api/v1/search/text HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                 "Content-Type: application/json\r\n"
                                 "Content-Length: 9000000\r\n\r\n");
  EXPECT_EQ(RawStatus(response), 413) << response;
  std::string bad_length = RawHttp(server_->port(),
                                   "POST /api/v1/search/text HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                   "Content-Type: application/json\r\n"
                                   "Content-Length: 12abc\r\n\r\n");
  EXPECT_EQ(RawStatus(bad_length), 400) << bad_length;
}

}  // namespace
}  // namespace msearch::server

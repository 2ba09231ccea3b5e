#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "config/config_loader.h"
#include "server_fixture.h"

namespace msearch::server {
namespace {

using nlohmann::json;

std::string ReadText(const std::filesystem::path& path) {
  std::ifstream input(path);
  std::stringstream text;
  text << input.rdbuf();
  return text.str();
}

// Dotted keys of the leaves of a YAML mapping ("api.port").
void YamlKeys(const YAML::Node& node, const std::string& prefix, std::set<std::string>* keys) {
  for (const auto& entry : node) {
    std::string key = prefix + entry.first.as<std::string>();
    if (entry.second.IsMap() && key != "ipc.task_queue.type_limits") {
      YamlKeys(entry.second, key + ".", keys);
    } else {
      keys->insert(key);
    }
  }
}

bool HasKey(const json& document, const std::string& dotted) {
  const json* node = &document;
  std::stringstream parts(dotted);
  std::string part;
  while (std::getline(parts, part, '.')) {
    if (!node->is_object() || !node->contains(part)) return false;
    node = &(*node)[part];
  }
  return true;
}

// A server started from a configuration file, as msearch serve is.
class ConfigFileTest : public ServerTest {
 protected:
  void SetUp() override {
    PrepareData();
    config_file_ = temp_ / "config" / "config.yml";
    std::filesystem::create_directories(config_file_.parent_path());
    std::ofstream(config_file_) << "# settings\napi:\n  port: 0\n  threads: 2\n  token: \"\"\n"
                                   "logging:\n  level: debug\n";
    config::Config loaded = config::LoadConfigFile(config_file_);
    config_.source = loaded.source;
    config_.base_dir = loaded.base_dir;
    StartServer();
  }

  httplib::Result Patch(httplib::Client& client, const json& body) {
    return client.Patch("/api/v1/config", body.dump(), "application/json");
  }

  std::filesystem::path config_file_;
};

TEST_F(ServerTest, ConfigShowsEveryKey) {
  httplib::Client client = Client();
  auto result = client.Get("/api/v1/config");
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200);
  json body = JsonBody(result);
  EXPECT_EQ(body["editable"], false);
  EXPECT_TRUE(body["source"].is_null());
  EXPECT_EQ(body["config"]["api"]["threads"], 2);
  EXPECT_EQ(body["config"]["storage"]["catalog_path"], config_.storage.catalog_path.string());

  // Every key of the documented configuration file is reported.
  std::filesystem::path documented =
      std::filesystem::path(MSEARCH_SOURCE_DIR) / "config" / "config.yml";
  std::set<std::string> keys;
  YamlKeys(YAML::LoadFile(documented.string()), "", &keys);
  ASSERT_GT(keys.size(), 50u);
  for (const std::string& key : keys) EXPECT_TRUE(HasKey(body["config"], key)) << key;
  EXPECT_TRUE(HasKey(body["config"], "models.dir")) << "documented only as a comment";
  EXPECT_TRUE(HasKey(body["config"], "models.hub_endpoint"));
}

class TokenConfigTest : public ServerTest {
 protected:
  void SetUp() override {
    PrepareData();
    config_.api.token = "hidden-token-value";
    StartServer();
  }
};

TEST_F(TokenConfigTest, ConfigRedactsToken) {
  httplib::Client client = Client();
  client.set_bearer_token_auth("hidden-token-value");
  auto result = client.Get("/api/v1/config");
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200);
  EXPECT_EQ(result->body.find("hidden-token-value"), std::string::npos);
  EXPECT_EQ(JsonBody(result)["config"]["api"]["token"], "********");
}

TEST_F(ServerTest, ConfigUpdateNeedsFile) {
  httplib::Client client = Client();
  ExpectError(client.Patch("/api/v1/config", R"({"api": {"threads": 8}})", "application/json"), 409,
              "no configuration file");
}

TEST_F(ConfigFileTest, PatchWritesValidatedFile) {
  httplib::Client client = Client();
  auto result = Patch(client, {{"api", {{"threads", 8}}},
                               {"media", {{"ocr", {{"languages", {"eng"}}}}}},
                               {"logging", {{"level", nullptr}}}});
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200) << result->body;
  json body = JsonBody(result);
  EXPECT_EQ(body["success"], true);
  const json& data = body["data"];
  EXPECT_EQ(data["file"], config_file_.string());
  std::set<std::string> changed(data["changed_keys"].begin(), data["changed_keys"].end());
  EXPECT_TRUE(changed.contains("api.threads"));
  EXPECT_TRUE(changed.contains("media.ocr.languages"));
  EXPECT_EQ(data["restart_required"], data["changed_keys"]);
  EXPECT_EQ(data["config"]["api"]["threads"], 8);
  EXPECT_EQ(data["config"]["logging"]["level"], "info") << "null restores the default";

  config::Config saved = config::LoadConfigFile(config_file_);
  EXPECT_EQ(saved.api.threads, 8);
  EXPECT_EQ(saved.api.port, 0) << "keys not in the change are kept";
  EXPECT_EQ(saved.media.ocr.languages, std::vector<std::string>{"eng"});
  EXPECT_EQ(saved.logging.level, "info");
  std::filesystem::path backup = config_file_;
  backup += ".bak";
  EXPECT_NE(ReadText(backup).find("level: debug"), std::string::npos);

  json running = JsonBody(client.Get("/api/v1/config"));
  EXPECT_EQ(running["config"]["api"]["threads"], 2) << "GET shows the running configuration";
}

TEST_F(ConfigFileTest, InvalidChangeNamesKey) {
  httplib::Client client = Client();
  std::string before = ReadText(config_file_);
  struct Case {
    std::string name;
    json change;
    std::string key;
  };
  const std::vector<Case> cases = {
      {"out of range", {{"api", {{"threads", 0}}}}, "api.threads"},
      {"wrong type", {{"media", {{"thumbnail_size", "big"}}}}, "media.thumbnail_size"},
      {"unknown key", {{"api", {{"thread", 4}}}}, "api.thread"},
      {"not a mapping", {{"api", 5}}, "api"},
      {"bad choice", {{"logging", {{"level", "loud"}}}}, "logging.level"},
      {"public without token", {{"api", {{"host", "0.0.0.0"}}}}, "api.host"},
  };
  for (const Case& test_case : cases) {
    auto result = Patch(client, test_case.change);
    ExpectError(result, 400, test_case.name);
    ASSERT_TRUE(result);
    json body = JsonBody(result);
    ASSERT_TRUE(body["detail"]["keys"].is_array()) << body;
    EXPECT_NE(
        std::find(body["detail"]["keys"].begin(), body["detail"]["keys"].end(), test_case.key),
        body["detail"]["keys"].end())
        << test_case.name << ": " << body;
    EXPECT_NE(body["message"].get<std::string>().find(test_case.key), std::string::npos);
  }
  ExpectError(client.Patch("/api/v1/config", "[1]", "application/json"), 400, "not an object");
  ExpectError(client.Patch("/api/v1/config", "{", "application/json"), 400, "bad JSON");
  EXPECT_EQ(ReadText(config_file_), before) << "a rejected change leaves the file alone";
}

TEST_F(ConfigFileTest, PutReplacesFile) {
  httplib::Client client = Client();
  auto result = client.Put("/api/v1/config", json{{"api", {{"port", 0}, {"threads", 3}}}}.dump(),
                           "application/json");
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200) << result->body;
  config::Config saved = config::LoadConfigFile(config_file_);
  EXPECT_EQ(saved.api.threads, 3);
  EXPECT_EQ(saved.logging.level, "info") << "keys left out of a PUT return to their defaults";
}

TEST_F(ConfigFileTest, RedactedTokenKeepsToken) {
  std::ofstream(config_file_) << "api:\n  port: 0\n  token: keep-me\n";
  httplib::Client client = Client();
  auto result = Patch(client, {{"api", {{"token", "********"}, {"threads", 5}}}});
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200) << result->body;
  EXPECT_EQ(config::LoadConfigFile(config_file_).api.token, "keep-me");
  EXPECT_EQ(result->body.find("keep-me"), std::string::npos);
}

}  // namespace
}  // namespace msearch::server

// Tests of `msearch models`, run as a real process against a configuration
// in a temporary folder and a test hub server on 127.0.0.1.

#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "hub_test_server.h"
#include "process_runner.h"
#include "support/shared_data.h"
#include "support/temp_dir.h"

namespace msearch::models {
namespace {

namespace fs = std::filesystem;

class ModelsCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = temp_ / "config.yml";
    msearch::testing::WriteFile(
        config_, "storage:\n  data_dir: " + Quoted(temp_ / "data") + "\nlogging:\n  dir: " +
                     Quoted(temp_ / "logs") + "\nmodels:\n  image: clip\n  text: [clip]\n" +
                     "  audio: ''\n  hub_endpoint: " + server_.endpoint() + "\n");
  }

  static std::string Quoted(const fs::path& path) { return nlohmann::json(path.string()).dump(); }

  msearch::testing::CommandResult Msearch(std::vector<std::string> args) {
    args.insert(args.begin(), {"--config", config_.string()});
    // Keeps any proxy of the environment away from the test server.
    return msearch::testing::RunCommand(msearch::testing::MsearchBinary(), args,
                                        {{"NO_PROXY", "127.0.0.1"}, {"no_proxy", "127.0.0.1"}});
  }

  nlohmann::json ListJson() {
    msearch::testing::CommandResult result = Msearch({"models", "list", "--json"});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    nlohmann::json json = nlohmann::json::parse(result.out, nullptr, false);
    EXPECT_FALSE(json.is_discarded()) << "stdout is not JSON:\n" << result.out;
    return json;
  }

  msearch::testing::TempDir temp_;
  fs::path config_;
  models::testing::HubTestServer server_;
};

TEST_F(ModelsCliTest, ImportListRemove) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  fs::path fixtures = shared / "fixtures" / "models";
  for (const char* name : {"clip", "clap"}) {
    msearch::testing::CommandResult result =
        Msearch({"models", "import", (fixtures / name).string()});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_NE(result.out.find("Imported " + std::string(name)), std::string::npos) << result.out;
  }

  nlohmann::json list = ListJson();
  EXPECT_EQ(list["models_dir"], (temp_ / "data" / "models").string());
  ASSERT_EQ(list["models"].size(), 2u);
  const nlohmann::json& clap = list["models"][0];
  const nlohmann::json& clip = list["models"][1];
  EXPECT_EQ(clap["name"], "clap");
  EXPECT_EQ(clap["family"], "clap");
  EXPECT_EQ(clap["modalities"], nlohmann::json({"audio", "text"}));
  EXPECT_EQ(clap["used_by"], nlohmann::json::array());
  EXPECT_EQ(clip["family"], "clip");
  EXPECT_EQ(clip["used_by"], nlohmann::json({"models.image", "models.text"}));
  EXPECT_EQ(clip["valid"], true);
  EXPECT_EQ(clip["source"], "import");
  EXPECT_GT(clip["size_bytes"].get<uint64_t>(),
            fs::file_size(fixtures / "clip" / "model.safetensors"));

  msearch::testing::CommandResult refused = Msearch({"models", "remove", "clip"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("in use by the configuration (models.image, models.text)"),
            std::string::npos)
      << refused.err;
  EXPECT_NE(refused.err.find("--force"), std::string::npos) << refused.err;

  EXPECT_EQ(Msearch({"models", "remove", "clap"}).exit_code, 0);
  EXPECT_EQ(Msearch({"models", "remove", "clip", "--force"}).exit_code, 0);
  EXPECT_TRUE(ListJson()["models"].empty());
}

TEST_F(ModelsCliTest, ImportBrokenFolderFails) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  models::testing::CopyWritable(shared / "fixtures" / "models" / "clip", temp_ / "broken");
  fs::remove(temp_ / "broken" / "config.json");
  msearch::testing::CommandResult result =
      Msearch({"models", "import", (temp_ / "broken").string()});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find((temp_ / "broken" / "config.json").string()), std::string::npos)
      << result.err;
  EXPECT_TRUE(ListJson()["models"].empty());
}

TEST_F(ModelsCliTest, PullFromTestHub) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  server_.AddModel("openai/tiny-clip", shared / "fixtures" / "models" / "clip");
  msearch::testing::CommandResult result =
      Msearch({"models", "pull", "openai/tiny-clip", "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  nlohmann::json model = nlohmann::json::parse(result.out, nullptr, false);
  ASSERT_FALSE(model.is_discarded()) << result.out;
  EXPECT_EQ(model["name"], "openai--tiny-clip");
  EXPECT_EQ(model["family"], "clip");
  EXPECT_EQ(model["origin"], "openai/tiny-clip");
  EXPECT_EQ(model["commit"], models::testing::HubTestServer::kCommit);
  EXPECT_EQ(ListJson()["models"][0]["name"], "openai--tiny-clip");
}

TEST_F(ModelsCliTest, PullUnknownModelFails) {
  msearch::testing::CommandResult result = Msearch({"models", "pull", "nobody/missing"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("model 'nobody/missing' at revision 'main' was not found"),
            std::string::npos)
      << result.err;
}

}  // namespace
}  // namespace msearch::models

#include "models/model_pull.h"

#include <cstdlib>
#include <filesystem>

#include <gtest/gtest.h>

#include "common/error.h"
#include "hub_test_server.h"
#include "models/file_digest.h"
#include "support/shared_data.h"
#include "support/temp_dir.h"

namespace msearch::models {
namespace {

namespace fs = std::filesystem;

class ModelPullTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // A proxy from the environment must not carry requests for 127.0.0.1.
    for (const char* name :
         {"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"}) {
      unsetenv(name);
    }
  }

  HubClient Client() const {
    return HubClient(server_.endpoint(), HttpOptions{}, RetryPolicy{4, 0.05, 0.2});
  }

  // Pulls `name` and returns the error message, or "" on success.
  std::string PullError(const std::string& name) {
    try {
      PullModel(store_, Client(), ParseHubModelRef(name));
    } catch (const Error& error) {
      return error.what();
    }
    return "";
  }

  msearch::testing::TempDir temp_;
  ModelStore store_{temp_ / "models"};
  models::testing::HubTestServer server_;
};

TEST_F(ModelPullTest, PullsAndValidates) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  fs::path source = shared / "fixtures" / "models" / "clip";
  server_.AddModel("openai/tiny-clip", source);
  std::map<std::string, uint64_t> progress;
  InstalledModel model = PullModel(
      store_, Client(), ParseHubModelRef("openai/tiny-clip"),
      [&progress](const std::string& file, uint64_t done, uint64_t) { progress[file] = done; });
  EXPECT_EQ(model.name, "openai--tiny-clip");
  EXPECT_EQ(model.path, temp_ / "models" / "openai--tiny-clip");
  ASSERT_TRUE(model.family) << model.problem;
  EXPECT_EQ(*model.family, ModelFamily::kClip);
  ASSERT_TRUE(model.manifest);
  EXPECT_EQ(model.manifest->source, "hub");
  EXPECT_EQ(model.manifest->origin, "openai/tiny-clip");
  EXPECT_EQ(model.manifest->revision, "main");
  EXPECT_EQ(model.manifest->commit, models::testing::HubTestServer::kCommit);
  EXPECT_EQ(model.manifest->endpoint, server_.endpoint());
  EXPECT_EQ(Sha256File(model.path / "model.safetensors"), Sha256File(source / "model.safetensors"));
  EXPECT_EQ(Sha256File(model.path / "vocab.json"), Sha256File(source / "vocab.json"));
  // Fixture extras that are not checkpoint files stay on the server.
  EXPECT_FALSE(fs::exists(model.path / "goldens.safetensors"));
  EXPECT_FALSE(fs::exists(model.path / "cases.json"));
  EXPECT_EQ(progress["model.safetensors"], fs::file_size(source / "model.safetensors"));
  EXPECT_EQ(CheckCheckpoint(model.path), ModelFamily::kClip);
  EXPECT_EQ(server_.ResumedRequests("openai/tiny-clip", "model.safetensors"), 0);
}

TEST_F(ModelPullTest, PullsRevisionByCommit) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  server_.AddModel("laion/tiny-clap", shared / "fixtures" / "models" / "clap");
  InstalledModel model = PullModel(
      store_, Client(),
      ParseHubModelRef(std::string("laion/tiny-clap@") + models::testing::HubTestServer::kCommit));
  ASSERT_TRUE(model.family) << model.problem;
  EXPECT_EQ(*model.family, ModelFamily::kClap);
  EXPECT_EQ(model.manifest->revision, models::testing::HubTestServer::kCommit);
}

TEST_F(ModelPullTest, ResumesCutDownload) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  fs::path source = shared / "fixtures" / "models" / "chinese_clip";
  server_.AddModel("OFA-Sys/tiny-chinese-clip", source);
  server_.CutOnce("OFA-Sys/tiny-chinese-clip", "model.safetensors", 1000000);
  InstalledModel model = PullModel(store_, Client(), ParseHubModelRef("OFA-Sys/tiny-chinese-clip"));
  ASSERT_TRUE(model.family) << model.problem;
  EXPECT_EQ(*model.family, ModelFamily::kChineseClip);
  EXPECT_EQ(server_.ResumedRequests("OFA-Sys/tiny-chinese-clip", "model.safetensors"), 1);
  EXPECT_EQ(Sha256File(model.path / "model.safetensors"), Sha256File(source / "model.safetensors"));
  EXPECT_FALSE(fs::exists(model.path / "model.safetensors.part"));
}

TEST_F(ModelPullTest, WrongChecksumInstallsNothing) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  server_.AddModel("openai/tiny-clip", shared / "fixtures" / "models" / "clip");
  server_.CorruptChecksum("openai/tiny-clip", "model.safetensors");
  std::string message = PullError("openai/tiny-clip");
  EXPECT_NE(message.find("checksum mismatch"), std::string::npos) << message;
  EXPECT_NE(message.find("'model.safetensors'"), std::string::npos) << message;
  EXPECT_FALSE(store_.Contains("openai--tiny-clip"));
  EXPECT_TRUE(store_.List().empty());
  // The corrupt download is deleted, so a retry starts afresh.
  for (const auto& entry : fs::recursive_directory_iterator(temp_ / "models")) {
    EXPECT_EQ(entry.path().filename().string().find("model.safetensors"), std::string::npos)
        << entry.path();
  }
}

TEST_F(ModelPullTest, UnknownModelIsClearError) {
  std::string message = PullError("nobody/no-such-model");
  EXPECT_NE(message.find("'nobody/no-such-model'"), std::string::npos) << message;
  EXPECT_NE(message.find("not found"), std::string::npos) << message;
  EXPECT_TRUE(store_.List().empty());
}

TEST_F(ModelPullTest, UnknownRevisionIsClearError) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  server_.AddModel("openai/tiny-clip", shared / "fixtures" / "models" / "clip");
  std::string message = PullError("openai/tiny-clip@v9");
  EXPECT_NE(message.find("revision 'v9'"), std::string::npos) << message;
  EXPECT_NE(message.find("HTTP 404"), std::string::npos) << message;
}

TEST_F(ModelPullTest, PytorchOnlyRepoExplainsConversion) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  models::testing::CopyWritable(shared / "fixtures" / "models" / "clip", temp_ / "pt");
  fs::rename(temp_ / "pt" / "model.safetensors", temp_ / "pt" / "pytorch_model.bin");
  server_.AddModel("openai/pt-only", temp_ / "pt");
  std::string message = PullError("openai/pt-only");
  EXPECT_NE(message.find("pytorch_model.bin"), std::string::npos) << message;
  EXPECT_NE(message.find("msearch models import"), std::string::npos) << message;
}

TEST_F(ModelPullTest, AlreadyInstalledIsRejected) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  server_.AddModel("openai/tiny-clip", shared / "fixtures" / "models" / "clip");
  PullModel(store_, Client(), ParseHubModelRef("openai/tiny-clip"));
  std::string message = PullError("openai/tiny-clip");
  EXPECT_NE(message.find("already installed"), std::string::npos) << message;
}

TEST_F(ModelPullTest, UnreachableEndpointFailsAfterRetries) {
  // Port 1 on the loopback address refuses connections.
  HubClient client("http://127.0.0.1:1", HttpOptions{}, RetryPolicy{2, 0.01, 0.01});
  try {
    PullModel(store_, client, ParseHubModelRef("openai/tiny-clip"));
    FAIL() << "pull from a closed port succeeded";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("127.0.0.1:1"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace msearch::models

#include <string>

#include <gtest/gtest.h>

#include "config/config_loader.h"
#include "config/test_env.h"

namespace msearch::config {
namespace {

using testing::ParseError;
using testing::ScopedEnv;

class ConfigModels : public ::testing::Test {
 protected:
  ScopedEnv endpoint_{"HF_ENDPOINT", std::nullopt};
};

TEST_F(ConfigModels, Defaults) {
  Config config = ParseConfig("storage:\n  data_dir: var\n", "test.yml", "/base");
  EXPECT_EQ(config.models.dir, "/base/var/models");
  EXPECT_EQ(config.models.image, "openai/clip-vit-base-patch32");
  EXPECT_EQ(config.models.text,
            (std::vector<std::string>{"openai/clip-vit-base-patch32",
                                      "OFA-Sys/chinese-clip-vit-base-patch16"}));
  EXPECT_EQ(config.models.audio, "laion/clap-htsat-unfused");
  EXPECT_EQ(config.models.hub_endpoint, "https://huggingface.co");
  EXPECT_EQ(config.models.idle_unload_seconds, 600);
  EXPECT_EQ(config.models.inference_threads, 0);
}

TEST_F(ConfigModels, ReadsEveryKey) {
  Config config = ParseConfig(
      "models:\n  dir: weights\n  image: my-clip\n  text: [my-clip, org/zh-clip]\n"
      "  audio: ''\n  hub_endpoint: http://mirror.example:8080/hub/\n"
      "  idle_unload_seconds: 0\n  inference_threads: 3\n",
      "test.yml", "/base");
  EXPECT_EQ(config.models.dir, "/base/weights");
  EXPECT_EQ(config.models.image, "my-clip");
  EXPECT_EQ(config.models.text, (std::vector<std::string>{"my-clip", "org/zh-clip"}));
  EXPECT_EQ(config.models.audio, "");
  EXPECT_EQ(config.models.hub_endpoint, "http://mirror.example:8080/hub");
  EXPECT_EQ(config.models.idle_unload_seconds, 0);
  EXPECT_EQ(config.models.inference_threads, 3);
}

TEST_F(ConfigModels, HfEndpointReplacesDefault) {
  ScopedEnv endpoint{"HF_ENDPOINT", "https://hf-mirror.example/"};
  Config config = ParseConfig("", "test.yml", "/base");
  EXPECT_EQ(config.models.hub_endpoint, "https://hf-mirror.example");
}

TEST_F(ConfigModels, FileKeyBeatsHfEndpoint) {
  ScopedEnv endpoint{"HF_ENDPOINT", "https://hf-mirror.example"};
  Config config =
      ParseConfig("models:\n  hub_endpoint: http://127.0.0.1:9000\n", "test.yml", "/base");
  EXPECT_EQ(config.models.hub_endpoint, "http://127.0.0.1:9000");
}

TEST_F(ConfigModels, InvalidHfEndpointNamesVariable) {
  ScopedEnv endpoint{"HF_ENDPOINT", "mirror.example"};
  std::string message = ParseError("");
  EXPECT_NE(message.find("'mirror.example'"), std::string::npos) << message;
  EXPECT_NE(message.find("$HF_ENDPOINT"), std::string::npos) << message;
}

TEST_F(ConfigModels, RejectsInvalidValues) {
  EXPECT_NE(ParseError("models:\n  hub_endpoint: ftp://x\n").find("'models.hub_endpoint'"),
            std::string::npos);
  EXPECT_NE(ParseError("models:\n  image: 'a/b/c'\n").find("'models.image'"), std::string::npos);
  EXPECT_NE(ParseError("models:\n  text: [ok, 'bad name']\n").find("'models.text[1]'"),
            std::string::npos);
  EXPECT_NE(ParseError("models:\n  text: clip\n").find("'models.text'"), std::string::npos);
  EXPECT_NE(ParseError("models:\n  audio: ../up\n").find("'models.audio'"), std::string::npos);
  EXPECT_NE(ParseError("models:\n  inference_threads: -1\n").find("'models.inference_threads'"),
            std::string::npos);
  EXPECT_NE(ParseError("models:\n  idle_unload_seconds: x\n").find("'models.idle_unload_seconds'"),
            std::string::npos);
  EXPECT_NE(ParseError("models:\n  imgae: x\n").find("did you mean 'models.image'"),
            std::string::npos);
}

}  // namespace
}  // namespace msearch::config

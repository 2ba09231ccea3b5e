// Search in a real process tree: msearch serve indexes a watched folder with
// its task and embedding workers (the fixture CLIP model as image model),
// and the REST API and `msearch search` run queries over what they
// stored.

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "indexed_library.h"
#include "process_runner.h"
#include "serve_fixture.h"
#include "store/catalog.h"
#include "store/embedding_store.h"
#include "store/extraction_store.h"
#include "support/shared_data.h"
#include "support/temp_dir.h"

namespace msearch::search {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;

template <typename Predicate>
bool WaitFor(Predicate done, std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(200ms);
  }
  return done();
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

json Post(int port, const std::string& path, const httplib::MultipartFormDataItems& items) {
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(120, 0);
  httplib::Result result = client.Post(path, items);
  EXPECT_TRUE(result) << "POST " << path << " got no response";
  if (!result) return json();
  EXPECT_EQ(result->status, 200) << result->body;
  return json::parse(result->body, nullptr, false);
}

json PostJson(int port, const std::string& path, const json& body) {
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(120, 0);
  httplib::Result result = client.Post(path, body.dump(), "application/json");
  EXPECT_TRUE(result) << "POST " << path << " got no response";
  if (!result) return json();
  EXPECT_EQ(result->status, 200) << result->body;
  return json::parse(result->body, nullptr, false);
}

const json* FindResult(const json& response, const std::string& name) {
  for (const json& item : response["results"]) {
    if (item["file_name"] == name) return &item;
  }
  return nullptr;
}

TEST(SearchServe, IndexesAndSearchesEveryQueryKind) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  msearch::testing::TempDir temp;
  const fs::path root = temp.path();
  fs::path config = msearch::testing::WriteServeConfig(root);
  {
    std::ofstream append(config, std::ios::app);
    append << "models:\n  dir: " << json((root / "models").string()).dump()
           << "\n  image: test-clip\n  text: [test-clip]\n  audio: \"\"\n"
              "  inference_threads: 1\n"
              // The quantised scan at every size, so that it is tested end to end.
              "search:\n  index:\n    exact_up_to: 0\n";
  }
  testing::InstallFixtureModel(shared / "fixtures/models/clip", root / "models", "test-clip");
  const fs::path media = root / "media";
  const fs::path images = shared / "corpus/images";
  for (const char* image :
       {"cat_chelsea_baseline.jpg", "rocket_launch.jpg", "text_en_invoice.png"}) {
    fs::copy_file(images / image, media / image);
  }
  ASSERT_TRUE(testing::WriteStillsVideo(shared, root / "stills.mp4"));
  fs::rename(root / "stills.mp4", media / "stills.mp4");
  ASSERT_FALSE(testing::WriteLongRecording(shared, root / "day_recording.mp3").empty());
  fs::rename(root / "day_recording.mp3", media / "day_recording.mp3");

  msearch::testing::ServeProcess serve(root);
  ASSERT_TRUE(serve.WaitUntilReady(120s)) << serve.Diagnostics();
  store::Catalog catalog(root / "data" / "catalog.db");
  store::EmbeddingStore embeddings(catalog.database());
  store::ExtractionStore extraction(catalog.database());
  // Three images and the three scenes of the video.
  ASSERT_TRUE(WaitFor([&] { return embeddings.Count("test-clip") == 6; }, 300s))
      << "vectors: " << embeddings.Count("test-clip") << "\n"
      << serve.Diagnostics();
  ASSERT_TRUE(WaitFor([&] { return extraction.FingerprintedFiles().size() == 1; }, 300s))
      << serve.Diagnostics();
  const int port = serve.port();

  // An image finds itself first.
  json self = Post(port, "/api/v1/search/image",
                   {{"file", ReadFile(images / "rocket_launch.jpg"), "query.jpg", "image/jpeg"}});
  ASSERT_FALSE(self["results"].empty()) << self.dump(2);
  EXPECT_EQ(self["results"][0]["file_name"], "rocket_launch.jpg") << self.dump(2);
  EXPECT_NEAR(self["results"][0]["score"].get<double>(), 1.0, 1e-3);
  // The query brought the index up to date, in the configured mode.
  httplib::Client stats_client("127.0.0.1", port);
  httplib::Result stats = stats_client.Get("/api/v1/vector/stats");
  ASSERT_TRUE(stats);
  json spaces = json::parse(stats->body)["spaces"];
  ASSERT_EQ(spaces.size(), 1u) << stats->body;
  EXPECT_EQ(spaces[0]["index"]["mode"], "quantized") << stats->body;

  // The video made of images returns the scene that shows the query image.
  json scenes = Post(port, "/api/v1/search/image",
                     {{"file", ReadFile(images / "rocket_launch.jpg"), "query.jpg", "image/jpeg"},
                      {"file_type", "video", "", ""}});
  const json* video = FindResult(scenes, "stills.mp4");
  ASSERT_NE(video, nullptr) << scenes.dump(2);
  ASSERT_TRUE((*video)["timestamp_info"].is_object()) << video->dump(2);
  EXPECT_NEAR((*video)["timestamp_info"]["start"].get<double>(), 3.0, 0.5) << video->dump(2);
  EXPECT_NEAR((*video)["timestamp_info"]["end"].get<double>(), 6.0, 0.5) << video->dump(2);

  // A clip of the recording finds the recording at the clip's offset.
  fs::path clip = root / "clip.wav";
  ASSERT_TRUE(
      testing::RunFfmpeg({"-ss", "15", "-t", "8", "-i", (media / "day_recording.mp3").string(),
                          "-ac", "1", "-ar", "16000", clip.string()}));
  json sound =
      Post(port, "/api/v1/search/audio", {{"file", ReadFile(clip), "clip.wav", "audio/wav"}});
  ASSERT_FALSE(sound["results"].empty()) << sound.dump(2);
  EXPECT_EQ(sound["results"][0]["file_name"], "day_recording.mp3");
  EXPECT_NEAR(sound["results"][0]["timestamp_info"]["start"].get<double>(), 15.0, 0.5)
      << sound.dump(2);

  // Recognised text.
  json text = PostJson(port, "/api/v1/search/text", {{"query", "Total due"}});
  ASSERT_NE(FindResult(text, "text_en_invoice.png"), nullptr) << text.dump(2);

  // The command line goes through the running service.
  msearch::testing::CommandResult cli = msearch::testing::RunCommand(
      msearch::testing::MsearchBinary(), {"--config", config.string(), "search", "--image",
                                          (images / "rocket_launch.jpg").string(), "--json"});
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  json printed = json::parse(cli.out, nullptr, false);
  ASSERT_TRUE(printed.is_object()) << cli.out;
  EXPECT_EQ(printed["results"][0]["file_name"], "rocket_launch.jpg");
  EXPECT_EQ(printed["spaces"], json::array({"test-clip"}));  // only the service has vectors loaded
  msearch::testing::CommandResult lines = msearch::testing::RunCommand(
      msearch::testing::MsearchBinary(),
      {"--config", config.string(), "search", "--video", (media / "stills.mp4").string(), "--start",
       "3.5", "--end", "5.5"});
  ASSERT_EQ(lines.exit_code, 0) << lines.err;
  EXPECT_NE(lines.out.find("stills.mp4"), std::string::npos) << lines.out;
  EXPECT_NE(lines.out.find("0:03.0 - 0:06.0"), std::string::npos) << lines.out;

  // A deleted file leaves the results.
  fs::remove(media / "cat_chelsea_baseline.jpg");
  ASSERT_TRUE(WaitFor(
      [&] { return !catalog.FindFileByPath(media / "cat_chelsea_baseline.jpg").has_value(); },
      120s))
      << serve.Diagnostics();
  json after = Post(port, "/api/v1/search/image",
                    {{"file", ReadFile(images / "cat_chelsea_baseline.jpg"), "q.jpg", "image/jpeg"},
                     {"top_k", "100", "", ""}});
  EXPECT_EQ(FindResult(after, "cat_chelsea_baseline.jpg"), nullptr) << after.dump(2);
  // The video still shows the cat in its first scene.
  EXPECT_NE(FindResult(after, "stills.mp4"), nullptr) << after.dump(2);
}

}  // namespace
}  // namespace msearch::search

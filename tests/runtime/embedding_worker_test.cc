// The embedding worker in a real process tree: images wait while the image
// model is missing and are embedded once it is installed, without a rescan.

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "embedding/encoder.h"
#include "media/audio_decode.h"
#include "serve_fixture.h"
#include "store/catalog.h"
#include "store/embedding_store.h"
#include "support/shared_data.h"
#include "support/temp_dir.h"

namespace msearch::runtime {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Polls `done` every 200 ms until it returns true or `timeout` passes.
template <typename Predicate>
bool WaitFor(Predicate done, std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(200ms);
  }
  return done();
}

int64_t CountAnalysed(store::Catalog& catalog) {
  store::Statement count =
      catalog.database().Prepare("SELECT count(*) FROM files WHERE analyzed_at IS NOT NULL");
  count.Step();
  return count.ColumnInt(0);
}

TEST(EmbeddingWorker, EmbedsImagesOnceModelIsInstalled) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  msearch::testing::TempDir temp;
  const fs::path root = temp.path();
  fs::path config = msearch::testing::WriteServeConfig(root);
  {
    std::ofstream append(config, std::ios::app);
    append << "models:\n  dir: " << nlohmann::json((root / "models").string()).dump()
           << "\n  image: test-clip\n  text: []\n  audio: \"\"\n  inference_threads: 1\n";
  }
  const char* images[] = {"cat_chelsea_baseline.jpg", "coffee_cup_progressive.jpg"};
  for (const char* image : images) {
    fs::copy_file(shared / "corpus/images" / image, root / "media" / image);
  }

  msearch::testing::ServeProcess serve(root);
  ASSERT_TRUE(serve.WaitUntilReady(120s)) << serve.Diagnostics();
  store::Catalog catalog(root / "data" / "catalog.db");
  ASSERT_TRUE(WaitFor([&] { return CountAnalysed(catalog) == 2; }, 180s)) << serve.Diagnostics();

  store::EmbeddingStore embeddings(catalog.database());
  EXPECT_EQ(embeddings.Count("test-clip"), 0);  // no model yet

  // Installed the way `msearch models import` does: complete, then renamed
  // into place.
  fs::path staging = root / "models" / ".staging";
  fs::create_directories(staging);
  const fs::path fixture = shared / "fixtures/models/clip";
  for (const char* file :
       {"config.json", "model.safetensors", "vocab.json", "merges.txt", "tokenizer_config.json",
        "special_tokens_map.json", "preprocessor_config.json"}) {
    fs::copy_file(fixture / file, staging / file);
  }
  fs::rename(staging, root / "models" / "test-clip");

  ASSERT_TRUE(WaitFor([&] { return embeddings.Count("test-clip") == 2; }, 180s))
      << serve.Diagnostics();

  std::unique_ptr<embedding::Encoder> encoder = embedding::Encoder::Load(fixture, 1);
  for (const char* image : images) {
    std::optional<store::FileRecord> file = catalog.FindFileByPath(root / "media" / image);
    ASSERT_TRUE(file.has_value()) << image;
    std::vector<store::EmbeddingRecord> stored = embeddings.ReadFileVectors(file->id, "test-clip");
    ASSERT_EQ(stored.size(), 1u) << image;
    EXPECT_FALSE(stored[0].segment_id.has_value());
    std::vector<fs::path> paths = {root / "media" / image};
    std::vector<float> expected = encoder->EncodeImageFiles(paths)[0];
    ASSERT_EQ(stored[0].vector.size(), expected.size());
    double worst = 0;
    for (size_t i = 0; i < expected.size(); ++i) {
      worst = std::max(worst, static_cast<double>(std::abs(stored[0].vector[i] - expected[i])));
    }
    EXPECT_LT(worst, 1e-5) << image;
  }
}

// Installs a fixture checkpoint under `models` as `name` the way `msearch
// models import` does: complete, then renamed into place.
void InstallFixture(const fs::path& fixture, const fs::path& models, const std::string& name) {
  fs::path staging = models / (".staging-" + name);
  fs::create_directories(staging);
  for (const auto& entry : fs::directory_iterator(fixture)) {
    std::string file = entry.path().filename().string();
    if (entry.is_regular_file() && file != "goldens.safetensors" && file != "cases.json" &&
        file != "tokenizer_cases.json") {
      fs::copy_file(entry.path(), staging / file);
    }
  }
  fs::rename(staging, models / name);
}

TEST(EmbeddingWorker, EmbedsAudioTracksWindowByWindow) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  msearch::testing::TempDir temp;
  const fs::path root = temp.path();
  fs::path config = msearch::testing::WriteServeConfig(root);
  {
    std::ofstream append(config, std::ios::app);
    append << "models:\n  dir: " << nlohmann::json((root / "models").string()).dump()
           << "\n  image: \"\"\n  text: []\n  audio: test-clap\n  inference_threads: 1\n";
  }
  const fs::path speech = root / "media" / "speech_en_espeak.wav";
  const fs::path video = root / "media" / "scene_cuts_2_4_6.mp4";
  fs::copy_file(shared / "corpus/audio/speech_en_espeak.wav", speech);
  fs::copy_file(shared / "corpus/video/scene_cuts_2_4_6.mp4", video);
  const fs::path fixture = shared / "fixtures/models/clap";
  InstallFixture(fixture, root / "models", "test-clap");

  msearch::testing::ServeProcess serve(root);
  ASSERT_TRUE(serve.WaitUntilReady(120s)) << serve.Diagnostics();
  store::Catalog catalog(root / "data" / "catalog.db");
  store::EmbeddingStore embeddings(catalog.database());
  ASSERT_TRUE(WaitFor([&] { return embeddings.Count("test-clap") == 2; }, 180s))
      << serve.Diagnostics();

  std::unique_ptr<embedding::Encoder> encoder = embedding::Encoder::Load(fixture, 1);
  for (const fs::path& path : {speech, video}) {
    std::optional<store::FileRecord> file = catalog.FindFileByPath(path);
    ASSERT_TRUE(file.has_value()) << path;
    std::vector<store::EmbeddingRecord> stored = embeddings.ReadFileVectors(file->id, "test-clap");
    ASSERT_EQ(stored.size(), 1u) << path;  // under 10 s: one window
    EXPECT_TRUE(stored[0].segment_id.has_value());

    std::vector<float> samples;
    media::AudioDecodeOptions decode;
    decode.sample_rate = encoder->info().audio_sample_rate;
    media::DecodeAudio(path, decode, [&](std::span<const float> chunk) {
      samples.insert(samples.end(), chunk.begin(), chunk.end());
      return true;
    });
    std::vector<embedding::AudioVector> expected = encoder->EncodeWaveform(samples);
    ASSERT_EQ(expected.size(), 1u);
    double worst = 0;
    for (size_t i = 0; i < expected[0].vector.size(); ++i) {
      worst = std::max(worst,
                       static_cast<double>(std::abs(stored[0].vector[i] - expected[0].vector[i])));
    }
    EXPECT_LT(worst, 1e-5) << path;
  }
}

}  // namespace
}  // namespace msearch::runtime

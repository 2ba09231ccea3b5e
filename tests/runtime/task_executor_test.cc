#include "runtime/task_executor.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "config/config_loader.h"
#include "media/probe.h"
#include "monitor/file_monitor.h"
#include "runtime/frame_handoff.h"
#include "runtime/leftover_cleanup.h"
#include "runtime/task_types.h"
#include "shared_memory_util.h"
#include "store/catalog.h"
#include "store/extraction_store.h"
#include "support/shared_data.h"
#include "support/temp_dir.h"

namespace msearch::runtime {
namespace {

namespace fs = std::filesystem;

// Collects what a scan reports, as the file monitor's sink would.
class CollectingSink : public monitor::WorkSink {
 public:
  void FilesChanged(std::span<const store::UpsertOutcome> outcomes) override {
    files.insert(files.end(), outcomes.begin(), outcomes.end());
  }
  std::vector<store::UpsertOutcome> files;
};

// A catalog in a temporary folder over copies of corpus files, catalogued by
// a real scan so every entry is 'pending' as the monitor leaves it.
class TaskExecutorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = config::DefaultConfig(temp_.path());
    fs::create_directories(config_.storage.data_dir);
    fs::create_directories(media_dir_);
    catalog_ = std::make_unique<store::Catalog>(config_.storage.catalog_path);
  }

  // Copies corpus files into the media folder, scans it, and returns the
  // file ids by file name.
  std::map<std::string, int64_t> CatalogueCopies(const fs::path& corpus,
                                                 const std::vector<std::string>& files) {
    for (const std::string& file : files) {
      fs::path target = media_dir_ / fs::path(file).filename();
      fs::copy_file(corpus / file, target);
      fs::permissions(target, fs::perms::owner_read | fs::perms::owner_write);
    }
    directory_ = catalog_->AddDirectory(media_dir_, true, false);
    CollectingSink sink;
    monitor::ScanOnce(*catalog_, directory_, config_.processes.file_monitor, sink);
    std::map<std::string, int64_t> ids;
    for (const store::UpsertOutcome& outcome : sink.files) {
      ids[fs::path(outcome.path).filename().string()] = outcome.file_id;
    }
    for (const std::string& file : files) {
      EXPECT_TRUE(ids.contains(fs::path(file).filename().string())) << file << " not catalogued";
    }
    return ids;
  }

  nlohmann::json Run(const std::string& type, int64_t file_id,
                     std::vector<queue::NewTask>* follow_ups) {
    TaskExecutor executor(config_, *catalog_);
    return executor.Run(type, {{"file_id", file_id}}, follow_ups);
  }

  testing::TempDir temp_;
  fs::path media_dir_ = temp_ / "media";
  config::Config config_;
  std::unique_ptr<store::Catalog> catalog_;
  store::DirectoryRecord directory_;
};

TEST_F(TaskExecutorTest, ProbeIndexesImageAndQueuesAnalysis) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  auto ids = CatalogueCopies(shared / "corpus", {"images/cat_chelsea_baseline.jpg"});
  int64_t id = ids.at("cat_chelsea_baseline.jpg");

  std::vector<queue::NewTask> follow_ups;
  nlohmann::json result = Run(kTaskProbe, id, &follow_ups);
  EXPECT_EQ(result["kind"], "image");
  EXPECT_EQ(result["format"], "jpeg");
  EXPECT_EQ(result["width"], 451);
  EXPECT_EQ(result["height"], 300);
  EXPECT_FALSE(result["content_hash"].get<std::string>().empty());

  std::optional<store::FileRecord> file = catalog_->FindFile(id);
  ASSERT_TRUE(file.has_value());
  EXPECT_EQ(file->status, "indexed");
  EXPECT_FALSE(file->error.has_value());
  EXPECT_EQ(file->content_hash, result["content_hash"].get<std::string>());
  EXPECT_TRUE(file->indexed_at.has_value());
  std::optional<store::MediaInfo> info = catalog_->GetMediaInfo(id);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->width, 451);
  EXPECT_EQ(info->height, 300);
  // The probe's decode also made the thumbnail.
  ASSERT_TRUE(file->thumbnail_path.has_value());
  EXPECT_TRUE(fs::exists(*file->thumbnail_path));

  ASSERT_EQ(follow_ups.size(), 1u);
  const queue::NewTask& analyze = follow_ups[0];
  EXPECT_EQ(analyze.type, kTaskAnalyze);
  EXPECT_EQ(analyze.data["file_id"], id);
  EXPECT_EQ(analyze.priority, kAnalyzePriority);
  EXPECT_EQ(analyze.dedupe_key, "analyze:" + std::to_string(id));
  EXPECT_EQ(analyze.scope, "dir:" + std::to_string(directory_.id));
  EXPECT_EQ(analyze.file_path, file->path);
}

TEST_F(TaskExecutorTest, ThumbnailWrittenUnderThumbnailDir) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  auto ids = CatalogueCopies(shared / "corpus", {"images/cat_chelsea_baseline.jpg"});
  int64_t id = ids.at("cat_chelsea_baseline.jpg");
  std::vector<queue::NewTask> follow_ups;
  Run(kTaskProbe, id, &follow_ups);
  ASSERT_EQ(follow_ups.size(), 1u);

  nlohmann::json result = Run(kTaskThumbnail, id, nullptr);
  std::string uuid = catalog_->FindFile(id)->uuid;
  fs::path expected = config_.storage.thumbnail_dir / uuid.substr(0, 2) / (uuid + ".jpg");
  ASSERT_TRUE(result["thumbnail"].is_string()) << result.dump();
  EXPECT_EQ(fs::path(result["thumbnail"].get<std::string>()), expected);
  ASSERT_TRUE(fs::is_regular_file(expected));
  EXPECT_EQ(catalog_->FindFile(id)->thumbnail_path, expected.string());

  // A real JPEG whose longer side is media.thumbnail_size (the source is 451x300).
  store::MediaInfo thumbnail = media::ProbeFile(expected, "image", {});
  EXPECT_EQ(thumbnail.format, "jpeg");
  EXPECT_EQ(std::max(thumbnail.width, thumbnail.height), config_.media.thumbnail_size);
  EXPECT_LT(thumbnail.height, thumbnail.width);
}

TEST_F(TaskExecutorTest, ProbesVideoAndAudio) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  auto ids = CatalogueCopies(shared / "corpus",
                             {"video/long_3min_lowres.mp4", "audio/speech_en_espeak.wav"});

  int64_t video_id = ids.at("long_3min_lowres.mp4");
  std::vector<queue::NewTask> follow_ups;
  nlohmann::json video = Run(kTaskProbe, video_id, &follow_ups);
  EXPECT_EQ(video["kind"], "video");
  EXPECT_EQ(video["width"], 160);
  EXPECT_EQ(video["height"], 90);
  EXPECT_NEAR(video["duration"].get<double>(), 180.0, 0.5);
  EXPECT_EQ(catalog_->FindFile(video_id)->status, "indexed");
  ASSERT_EQ(follow_ups.size(), 1u);
  EXPECT_EQ(follow_ups[0].type, kTaskAnalyze);
  nlohmann::json video_thumbnail = Run(kTaskThumbnail, video_id, nullptr);
  ASSERT_TRUE(video_thumbnail["thumbnail"].is_string()) << video_thumbnail.dump();
  EXPECT_TRUE(fs::is_regular_file(video_thumbnail["thumbnail"].get<std::string>()));

  int64_t audio_id = ids.at("speech_en_espeak.wav");
  follow_ups.clear();
  nlohmann::json audio = Run(kTaskProbe, audio_id, &follow_ups);
  EXPECT_EQ(audio["kind"], "audio");
  EXPECT_NEAR(audio["duration"].get<double>(), 8.23, 0.05);
  EXPECT_EQ(catalog_->FindFile(audio_id)->status, "indexed");
  // Without cover art an audio file has no thumbnail.
  EXPECT_FALSE(catalog_->FindFile(audio_id)->thumbnail_path.has_value());
  ASSERT_EQ(follow_ups.size(), 1u);
  EXPECT_EQ(follow_ups[0].type, kTaskAnalyze);
}

TEST_F(TaskExecutorTest, AnalyzeStoresSegmentsWindowsAndFingerprint) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  config_.media.ocr.enabled = false;
  auto ids = CatalogueCopies(shared / "corpus",
                             {"video/long_3min_lowres.mp4", "audio/speech_en_espeak.wav"});
  store::ExtractionStore extraction(catalog_->database());

  int64_t video_id = ids.at("long_3min_lowres.mp4");
  Run(kTaskProbe, video_id, nullptr);
  nlohmann::json video = Run(kTaskAnalyze, video_id, nullptr);
  std::vector<store::SegmentRecord> segments = extraction.Segments(video_id, "video");
  ASSERT_FALSE(segments.empty()) << video.dump();
  EXPECT_EQ(video["video_segments"], segments.size());
  EXPECT_DOUBLE_EQ(segments.front().start_s, 0.0);
  EXPECT_NEAR(segments.back().end_s, 180.0, 0.5);
  for (size_t i = 1; i < segments.size(); ++i) {
    EXPECT_DOUBLE_EQ(segments[i].start_s, segments[i - 1].end_s) << "gap before segment " << i;
    EXPECT_LE(segments[i].end_s - segments[i].start_s, config_.media.video.max_segment_s + 1e-6);
  }
  ASSERT_TRUE(segments.front().thumbnail_path.has_value());
  EXPECT_TRUE(fs::is_regular_file(*segments.front().thumbnail_path));
  EXPECT_TRUE(segments.front().perceptual_hash.has_value());
  EXPECT_TRUE(extraction.PerceptualHash(video_id).has_value());

  int64_t audio_id = ids.at("speech_en_espeak.wav");
  Run(kTaskProbe, audio_id, nullptr);
  nlohmann::json audio = Run(kTaskAnalyze, audio_id, nullptr);
  // 8.23 s of sound: one 10 s window, padded.
  std::vector<store::SegmentRecord> windows = extraction.Segments(audio_id, "audio");
  ASSERT_EQ(windows.size(), 1u) << audio.dump();
  EXPECT_DOUBLE_EQ(windows[0].start_s, 0.0);
  std::optional<store::FingerprintRecord> fingerprint = extraction.Fingerprint(audio_id);
  ASSERT_TRUE(fingerprint.has_value());
  // Chromaprint needs a few seconds of context, so items cover less than
  // the whole duration (45 items of 0.1238 s here).
  EXPECT_GT(fingerprint->items.size(), 30u);
  EXPECT_LT(fingerprint->items.size() * fingerprint->item_seconds, 8.23);
}

TEST_F(TaskExecutorTest, CopyTakesOverResultsOfOriginal) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  config_.media.ocr.enabled = false;
  fs::create_directories(media_dir_ / "copies");
  fs::copy_file(shared / "corpus/video/long_3min_lowres.mp4", media_dir_ / "copies/same.mp4");
  auto ids = CatalogueCopies(shared / "corpus", {"video/long_3min_lowres.mp4"});
  store::ExtractionStore extraction(catalog_->database());
  int64_t original = ids.at("long_3min_lowres.mp4");
  std::optional<store::FileRecord> copy_record =
      catalog_->FindFileByPath(media_dir_ / "copies/same.mp4");
  ASSERT_TRUE(copy_record.has_value());
  int64_t copy = copy_record->id;

  Run(kTaskProbe, original, nullptr);
  Run(kTaskAnalyze, original, nullptr);
  std::vector<queue::NewTask> follow_ups;
  nlohmann::json result = Run(kTaskProbe, copy, &follow_ups);

  EXPECT_EQ(result["duplicate_of"], catalog_->FindFile(original)->uuid) << result.dump();
  EXPECT_TRUE(follow_ups.empty());
  std::optional<store::FileRecord> file = catalog_->FindFile(copy);
  EXPECT_EQ(file->status, "indexed");
  ASSERT_TRUE(file->thumbnail_path.has_value());
  EXPECT_NE(*file->thumbnail_path, *catalog_->FindFile(original)->thumbnail_path);
  EXPECT_TRUE(fs::is_regular_file(*file->thumbnail_path));
  std::vector<store::SegmentRecord> copied = extraction.Segments(copy, "video");
  ASSERT_EQ(copied.size(), extraction.Segments(original, "video").size());
  ASSERT_TRUE(copied.front().thumbnail_path.has_value());
  EXPECT_NE(copied.front().thumbnail_path->find(file->uuid), std::string::npos);
  EXPECT_TRUE(fs::is_regular_file(*copied.front().thumbnail_path));
  EXPECT_EQ(extraction.FullHash(copy), extraction.FullHash(original));
  EXPECT_TRUE(extraction.FullHash(copy).has_value());
}

TEST_F(TaskExecutorTest, SameSampleDifferentContentIsAnalysedAlone) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  config_.media.ocr.enabled = false;
  // A byte changed outside the sampled blocks keeps the sampled hash equal,
  // so only the full hash can separate the files.
  std::string content;
  {
    std::ifstream in(shared / "corpus/video/long_3min_lowres.mp4", std::ios::binary);
    content.assign(std::istreambuf_iterator<char>(in), {});
  }
  ASSERT_GT(content.size(), 10u * 65536);
  fs::create_directories(media_dir_ / "edited");
  content[content.size() / 4] ^= 0x01;
  std::ofstream(media_dir_ / "edited/near.mp4", std::ios::binary) << content;
  auto ids = CatalogueCopies(shared / "corpus", {"video/long_3min_lowres.mp4"});
  int64_t original = ids.at("long_3min_lowres.mp4");
  int64_t near = catalog_->FindFileByPath(media_dir_ / "edited/near.mp4")->id;

  Run(kTaskProbe, original, nullptr);
  Run(kTaskAnalyze, original, nullptr);
  std::vector<queue::NewTask> follow_ups;
  nlohmann::json result = Run(kTaskProbe, near, &follow_ups);
  EXPECT_FALSE(result.contains("duplicate_of")) << result.dump();
  ASSERT_EQ(follow_ups.size(), 1u);
  EXPECT_EQ(follow_ups[0].type, kTaskAnalyze);
}

TEST_F(TaskExecutorTest, BrokenFileFailsPermanently) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  auto ids = CatalogueCopies(shared / "corpus",
                             {"broken/empty_zero_bytes.jpg", "broken/truncated_no_moov.mp4"});
  for (const auto& [name, id] : ids) {
    std::vector<queue::NewTask> follow_ups;
    try {
      Run(kTaskProbe, id, &follow_ups);
      ADD_FAILURE() << name << " was probed without an error";
    } catch (const TaskFailure& failure) {
      EXPECT_FALSE(failure.retryable()) << name;
      EXPECT_NE(std::string(failure.what()).find(name), std::string::npos) << failure.what();
    }
    EXPECT_TRUE(follow_ups.empty()) << name;
    std::optional<store::FileRecord> file = catalog_->FindFile(id);
    ASSERT_TRUE(file.has_value());
    EXPECT_EQ(file->status, "failed") << name;
    ASSERT_TRUE(file->error.has_value()) << name;
    EXPECT_NE(file->error->find(name), std::string::npos) << *file->error;
  }
}

TEST_F(TaskExecutorTest, ChangedOrMissingFileIsSkipped) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  auto ids = CatalogueCopies(shared / "corpus",
                             {"images/cat_chelsea_baseline.jpg", "images/gray_coins.png"});

  int64_t changed_id = ids.at("cat_chelsea_baseline.jpg");
  {
    std::ofstream append(media_dir_ / "cat_chelsea_baseline.jpg", std::ios::app | std::ios::binary);
    append << "appended after the scan";
  }
  std::vector<queue::NewTask> follow_ups;
  nlohmann::json changed = Run(kTaskProbe, changed_id, &follow_ups);
  EXPECT_EQ(changed["skipped"], "file changed since it was catalogued");
  EXPECT_TRUE(follow_ups.empty());
  EXPECT_EQ(catalog_->FindFile(changed_id)->status, "pending");
  EXPECT_FALSE(catalog_->GetMediaInfo(changed_id).has_value());

  int64_t deleted_id = ids.at("gray_coins.png");
  fs::remove(media_dir_ / "gray_coins.png");
  nlohmann::json deleted = Run(kTaskProbe, deleted_id, &follow_ups);
  EXPECT_EQ(deleted["skipped"], "file no longer exists");
  EXPECT_EQ(catalog_->FindFile(deleted_id)->status, "pending");

  nlohmann::json unknown = Run(kTaskProbe, 987654, &follow_ups);
  EXPECT_EQ(unknown["skipped"], "file no longer catalogued");
  nlohmann::json unknown_thumbnail = Run(kTaskThumbnail, 987654, &follow_ups);
  EXPECT_EQ(unknown_thumbnail["skipped"], "file no longer catalogued");
  EXPECT_TRUE(follow_ups.empty());
}

// Installs the fixture CLIP checkpoint under `models` as `name`.
void InstallClip(const fs::path& shared, const fs::path& models, const std::string& name) {
  fs::create_directories(models / name);
  for (const char* file :
       {"config.json", "model.safetensors", "vocab.json", "merges.txt", "tokenizer_config.json",
        "special_tokens_map.json", "preprocessor_config.json"}) {
    fs::copy_file(shared / "fixtures/models/clip" / file, models / name / file);
  }
}

TEST_F(TaskExecutorTest, AnalyzeQueuesEmbedTasks) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  config_.media.ocr.enabled = false;
  config_.models.image = "test-clip";
  config_.models.audio = "";
  auto ids = CatalogueCopies(shared / "corpus", {"video/scene_cuts_2_4_6.mp4"});
  const int64_t id = ids.at("scene_cuts_2_4_6.mp4");
  std::vector<queue::NewTask> follow_ups;
  TaskExecutor executor(config_, *catalog_, {.queue_embeddings = true});
  executor.Run(kTaskProbe, {{"file_id", id}}, &follow_ups);

  follow_ups.clear();
  nlohmann::json result = executor.Run(kTaskAnalyze, {{"file_id", id}}, &follow_ups);
  ASSERT_EQ(follow_ups.size(), 1u) << result.dump();
  EXPECT_EQ(follow_ups[0].type, kTaskEmbed);
  EXPECT_EQ(follow_ups[0].data["modality"], "video");
  ASSERT_TRUE(follow_ups[0].wait.has_value());
  EXPECT_EQ(follow_ups[0].wait->key, "model:image");
  EXPECT_NE(follow_ups[0].wait->reason.find("test-clip"), std::string::npos);
  EXPECT_FALSE(follow_ups[0].data.contains("blocks"));  // nothing to reduce the frames for

  InstallClip(shared, config_.models.dir, "test-clip");
  follow_ups.clear();
  result = executor.Run(kTaskAnalyze, {{"file_id", id}}, &follow_ups);
  ASSERT_EQ(follow_ups.size(), 1u) << result.dump();
  EXPECT_FALSE(follow_ups[0].wait.has_value());
  std::vector<std::string> blocks = FrameBlocksOf(follow_ups[0].data);
  ASSERT_FALSE(blocks.empty()) << result.dump();
  int64_t segments = static_cast<int64_t>(
      store::ExtractionStore(catalog_->database()).Segments(id, "video").size());
  EXPECT_EQ(result["segments_handed_over"], segments);
  FrameBlock block = FrameBlock::Open(blocks.front());
  EXPECT_EQ(block.key().file_id, id);
  EXPECT_EQ(block.key().space, "test-clip");
  ASSERT_FALSE(block.frames().empty());
  EXPECT_EQ(block.frames()[0].width, 224);  // reduced to the model's crop
  EXPECT_EQ(block.frames()[0].height, 224);
  UnlinkFrameBlocks(blocks);

  // Without queue_embeddings (msearch index --once) nothing is queued for
  // the embedding workers and no block is made.
  follow_ups.clear();
  Run(kTaskAnalyze, id, &follow_ups);
  EXPECT_TRUE(follow_ups.empty());
  EXPECT_TRUE(msearch::testing::ShmBlocks(SharedBufferPrefixFor(config_)).empty());
}

TEST_F(TaskExecutorTest, InvalidTaskFailsPermanently) {
  TaskExecutor executor(config_, *catalog_);
  try {
    executor.Run("transcode", {{"file_id", 1}}, nullptr);
    ADD_FAILURE() << "unknown task type accepted";
  } catch (const TaskFailure& failure) {
    EXPECT_FALSE(failure.retryable());
    EXPECT_NE(std::string(failure.what()).find("transcode"), std::string::npos);
  }
  for (const nlohmann::json& data :
       {nlohmann::json::object(), nlohmann::json{{"file_id", "7"}}, nlohmann::json::array()}) {
    try {
      executor.Run(kTaskProbe, data, nullptr);
      ADD_FAILURE() << "task data " << data.dump() << " accepted";
    } catch (const TaskFailure& failure) {
      EXPECT_FALSE(failure.retryable());
      EXPECT_NE(std::string(failure.what()).find("file_id"), std::string::npos);
    }
  }
}

TEST(MakeProbeTaskTest, Fields) {
  queue::NewTask task = MakeProbeTask(42, "/media/a.jpg", 7, "file_monitor");
  EXPECT_EQ(task.type, kTaskProbe);
  EXPECT_EQ(task.data, (nlohmann::json{{"file_id", 42}}));
  EXPECT_EQ(task.priority, kProbePriority);
  EXPECT_EQ(task.dedupe_key, "probe:42");
  EXPECT_EQ(task.scope, "dir:7");
  EXPECT_EQ(task.sender, "file_monitor");
  EXPECT_EQ(task.file_path, "/media/a.jpg");
}

}  // namespace
}  // namespace msearch::runtime

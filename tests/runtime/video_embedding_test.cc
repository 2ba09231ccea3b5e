// Video segments embedded by a real process tree. Each segment gets one
// vector, from frames handed over in shared memory or decoded again by the
// embedding worker. Work waits for a missing model, and killed workers
// leave no shared memory behind.

#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>

#include "config/config_loader.h"
#include "embedding/encoder.h"
#include "ipc/shared_buffer.h"
#include "media/video_segment.h"
#include "pipeline/analysis_options.h"
#include "queue/state_cache.h"
#include "queue/task_queue.h"
#include "runtime/frame_handoff.h"
#include "runtime/leftover_cleanup.h"
#include "serve_fixture.h"
#include "shared_memory_util.h"
#include "store/catalog.h"
#include "store/embedding_store.h"
#include "store/extraction_store.h"
#include "support/shared_data.h"
#include "support/temp_dir.h"

namespace msearch::runtime {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using msearch::testing::ShmBlocks;
using msearch::testing::WaitUntil;

constexpr char kSpace[] = "test-clip";
constexpr double kTolerance = 1e-4;

std::optional<fs::path> FindFfmpeg() {
  for (const char* candidate : {"/usr/bin/ffmpeg", "/usr/local/bin/ffmpeg"}) {
    if (fs::exists(candidate)) return fs::path(candidate);
  }
  return std::nullopt;
}

// Writes an H.264 video showing each of `images` for `seconds_each`, at
// `fps` frames a second, so each image is one scene.
void WriteSlideshow(const fs::path& ffmpeg, const std::vector<fs::path>& images,
                    double seconds_each, int fps, const fs::path& output) {
  std::vector<std::string> args = {"-nostdin", "-loglevel", "error", "-y"};
  std::string filter;
  std::string inputs;
  for (size_t i = 0; i < images.size(); ++i) {
    args.insert(args.end(),
                {"-loop", "1", "-t", fmt::format("{}", seconds_each), "-i", images[i].string()});
    filter += fmt::format(
        "[{0}:v]scale=480:270:force_original_aspect_ratio=decrease,"
        "pad=480:270:(ow-iw)/2:(oh-ih)/2,setsar=1,fps={1}[v{0}];",
        i, fps);
    inputs += fmt::format("[v{}]", i);
  }
  filter += fmt::format("{}concat=n={}:v=1:a=0,format=yuv420p[v]", inputs, images.size());
  args.insert(args.end(), {"-filter_complex", filter, "-map", "[v]", "-c:v", "libx264", "-preset",
                           "veryfast", "-g", fmt::format("{}", fps * 2), output.string()});
  msearch::testing::CommandResult result = msearch::testing::RunCommand(ffmpeg, args, {}, 300s);
  ASSERT_EQ(result.exit_code, 0) << result.err;
}

// Writes the serve configuration of these tests: OCR off (it is slow and not
// under test), the `video` settings and the image model `test-clip`.
fs::path WriteConfig(const fs::path& root, const std::string& video, int batch_size = 8) {
  fs::path config = msearch::testing::WriteServeConfig(root);
  std::string yaml = msearch::testing::ReadFile(config);
  const std::string media = "media:\n  max_image_megapixels: 1000\n";
  size_t at = yaml.find(media);
  EXPECT_NE(at, std::string::npos);
  yaml.replace(at, media.size(),
               media + "  ocr:\n    enabled: false\n  video:\n" + video +
                   "  audio:\n    fingerprints: false\n");
  const std::string workers = "embedding_worker:\n    num_instances: 1\n";
  at = yaml.find(workers);
  EXPECT_NE(at, std::string::npos);
  yaml.insert(at + workers.size(), fmt::format("    batch_size: {}\n", batch_size));
  yaml += fmt::format(
      "models:\n  dir: {}\n  image: {}\n  text: []\n  audio: \"\"\n  inference_threads: 1\n",
      nlohmann::json((root / "models").string()).dump(), kSpace);
  msearch::testing::WriteFile(config, yaml);
  return config;
}

// Installs the fixture CLIP checkpoint as `test-clip`, complete, then
// renamed into place, as `msearch models import` does.
void InstallClip(const fs::path& shared, const fs::path& root) {
  fs::path staging = root / "models" / ".staging";
  fs::create_directories(staging);
  const fs::path fixture = shared / "fixtures/models/clip";
  for (const char* file :
       {"config.json", "model.safetensors", "vocab.json", "merges.txt", "tokenizer_config.json",
        "special_tokens_map.json", "preprocessor_config.json"}) {
    fs::copy_file(fixture / file, staging / file);
  }
  fs::rename(staging, root / "models" / kSpace);
}

std::vector<float> Normalised(const std::vector<double>& sum) {
  double norm = 0;
  for (double value : sum) norm += value * value;
  norm = std::sqrt(norm);
  std::vector<float> vector;
  for (double value : sum) vector.push_back(static_cast<float>(value / norm));
  return vector;
}

// Returns the expected vector of each segment, by segment index: the
// normalised mean of the encoder's vectors of the frames the media pipeline picks.
std::map<int, std::vector<float>> ExpectedVectors(const fs::path& shared, const fs::path& config,
                                                  const fs::path& video) {
  config::Config loaded = config::LoadConfigFile(config);
  media::SegmentOptions options = pipeline::AnalysisOptionsFromConfig(loaded).segments;
  std::unique_ptr<embedding::Encoder> encoder =
      embedding::Encoder::Load(shared / "fixtures/models/clip", 1);
  std::map<int, std::vector<float>> expected;
  for (media::VideoSegment& segment : media::SegmentVideoToList(video, options)) {
    std::vector<preprocess::RgbImage> frames;
    for (media::TimedFrame& frame : segment.frames) {
      frames.push_back({frame.image.width, frame.image.height, std::move(frame.image.rgb)});
    }
    std::vector<double> sum;
    for (const std::vector<float>& vector : encoder->EncodeImages(frames)) {
      sum.resize(vector.size(), 0.0);
      for (size_t i = 0; i < vector.size(); ++i) sum[i] += vector[i];
    }
    expected[segment.index] = Normalised(sum);
  }
  return expected;
}

// Returns the stored vectors of the video segments of `file_id`, by segment index.
std::map<int, std::vector<float>> StoredVectors(store::Catalog& catalog, int64_t file_id) {
  std::map<int64_t, int> index_of;
  for (const store::SegmentRecord& segment :
       store::ExtractionStore(catalog.database()).Segments(file_id, "video")) {
    index_of[segment.id] = segment.index;
  }
  std::map<int, std::vector<float>> vectors;
  for (store::EmbeddingRecord& record :
       store::EmbeddingStore(catalog.database()).ReadFileVectors(file_id, kSpace)) {
    if (record.segment_id && index_of.contains(*record.segment_id)) {
      vectors[index_of[*record.segment_id]] = std::move(record.vector);
    }
  }
  return vectors;
}

int64_t SegmentCount(store::Catalog& catalog, int64_t file_id) {
  return static_cast<int64_t>(
      store::ExtractionStore(catalog.database()).Segments(file_id, "video").size());
}

void ExpectSameVectors(const std::map<int, std::vector<float>>& actual,
                       const std::map<int, std::vector<float>>& expected, const char* what) {
  ASSERT_EQ(actual.size(), expected.size()) << what;
  for (const auto& [index, vector] : expected) {
    auto found = actual.find(index);
    ASSERT_NE(found, actual.end()) << what << ": segment " << index;
    ASSERT_EQ(found->second.size(), vector.size()) << what;
    double worst = 0;
    for (size_t i = 0; i < vector.size(); ++i) {
      worst = std::max(worst, static_cast<double>(std::abs(found->second[i] - vector[i])));
    }
    EXPECT_LT(worst, kTolerance) << what << ": segment " << index;
  }
}

// Returns the results of the completed video embed tasks of `file_id`, oldest first.
std::vector<nlohmann::json> CompletedVideoEmbeds(queue::TaskQueue& queue, int64_t file_id) {
  queue::TaskFilter filter;
  filter.type = "embed";
  filter.status = queue::TaskStatus::kCompleted;
  filter.limit = 1000;
  std::vector<nlohmann::json> results;
  for (const queue::TaskRecord& task : queue.List(filter).tasks) {
    if (task.data.value("modality", "") != "video" || task.data.value("file_id", 0) != file_id ||
        !task.result || task.result->contains("skipped")) {
      continue;
    }
    results.insert(results.begin(), *task.result);
  }
  return results;
}

// Returns the ends of the workers' logs, for failure messages.
std::string WorkerLogs(const fs::path& root) {
  std::string text;
  for (const char* worker : {"task_worker_1", "task_worker_2", "embedding_worker_1"}) {
    std::string log =
        msearch::testing::ReadFile(root / "logs" / "subprocesses" / (std::string(worker) + ".log"));
    if (log.size() > 3000) log = "..." + log.substr(log.size() - 3000);
    text += fmt::format("--- {}.log (end) ---\n{}\n", worker, log);
  }
  return text;
}

std::vector<fs::path> TemporaryFiles(const fs::path& folder) {
  std::vector<fs::path> found;
  std::error_code error;
  if (!fs::is_directory(folder, error)) return found;
  for (const auto& entry : fs::recursive_directory_iterator(folder, error)) {
    if (entry.path().filename().string().find(".tmp-") != std::string::npos) {
      found.push_back(entry.path());
    }
  }
  return found;
}

TEST(VideoEmbedding, WaitsThenEmbedsFromFileAndBlocks) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  std::optional<fs::path> ffmpeg = FindFfmpeg();
  if (!ffmpeg) GTEST_SKIP() << "the ffmpeg tool is not installed";
  msearch::testing::TempDir temp;
  const fs::path root = temp.path();
  fs::path config = WriteConfig(root, "    single_segment_max_s: 2\n");
  const fs::path source = root / "slideshow.mp4";
  const fs::path images = shared / "corpus/images";
  WriteSlideshow(*ffmpeg,
                 {images / "cat_chelsea_baseline.jpg", images / "rocket_launch.jpg",
                  images / "landscape_dune_sea.jpg", images / "coffee_cup_progressive.jpg"},
                 2.5, 10, source);
  const fs::path video = root / "media" / "slideshow.mp4";
  fs::copy_file(source, video);
  const std::map<int, std::vector<float>> expected = ExpectedVectors(shared, config, source);
  ASSERT_GE(expected.size(), 3u);  // one scene per image, give or take a cut

  msearch::testing::ServeProcess serve(root);
  ASSERT_TRUE(serve.WaitUntilReady(120s)) << serve.Diagnostics();
  store::Catalog catalog(root / "data" / "catalog.db");
  queue::TaskQueue queue(root / "data" / "task_queue.db", queue::QueueOptions{});
  std::optional<store::FileRecord> file;
  ASSERT_TRUE(WaitUntil(
      [&] {
        file = catalog.FindFileByPath(video);
        return file && SegmentCount(catalog, file->id) > 0 &&
               !queue.TasksWithDataKey("embed", "modality", 0).empty();
      },
      180s, 200ms))
      << serve.Diagnostics();
  EXPECT_EQ(SegmentCount(catalog, file->id), static_cast<int64_t>(expected.size()));

  // The model is missing: the task list shows the embedding as waiting.
  std::optional<nlohmann::json> waiting =
      msearch::testing::GetJson(serve.port(), "/api/v1/tasks?status=waiting&task_type=embed");
  ASSERT_TRUE(waiting) << serve.Diagnostics();
  ASSERT_EQ((*waiting)["total_tasks"], 1) << waiting->dump();
  const nlohmann::json& task = (*waiting)["tasks"][0];
  EXPECT_EQ(task["status"], "waiting");
  EXPECT_NE(task["error_message"].get<std::string>().find("waiting for the image model"),
            std::string::npos)
      << task.dump();

  // Installed later: the waiting task runs without a rescan, decoding the
  // frames itself since no task worker handed them over.
  InstallClip(shared, root);
  ASSERT_TRUE(
      WaitUntil([&] { return !CompletedVideoEmbeds(queue, file->id).empty(); }, 180s, 200ms))
      << serve.Diagnostics();
  std::vector<nlohmann::json> results = CompletedVideoEmbeds(queue, file->id);
  EXPECT_EQ(results.back()["decoded"], expected.size()) << results.back().dump();
  EXPECT_EQ(results.back()["from_blocks"], 0) << results.back().dump();
  const std::map<int, std::vector<float>> decoded = StoredVectors(catalog, file->id);
  ExpectSameVectors(decoded, expected, "decoded by the embedding worker");

  // Written again, the video is analysed again with the model installed,
  // and its frames travel in shared memory: the same vectors.
  fs::copy_file(source, video, fs::copy_options::overwrite_existing);
  ASSERT_TRUE(WaitUntil(
      [&] {
        std::vector<nlohmann::json> done = CompletedVideoEmbeds(queue, file->id);
        return done.size() >= 2 && done.back().value("from_blocks", 0) > 0;
      },
      180s, 200ms))
      << serve.Diagnostics();
  results = CompletedVideoEmbeds(queue, file->id);
  EXPECT_EQ(results.back()["from_blocks"], expected.size()) << results.back().dump();
  EXPECT_EQ(results.back()["decoded"], 0) << results.back().dump();
  const std::map<int, std::vector<float>> handed_over = StoredVectors(catalog, file->id);
  ExpectSameVectors(handed_over, decoded, "handed over vs decoded");
  ExpectSameVectors(handed_over, expected, "handed over");

  const std::string prefix = SharedBufferPrefixFor(config::LoadConfigFile(config));
  EXPECT_TRUE(WaitUntil([&] { return ShmBlocks(prefix).empty(); }, 60s, 200ms))
      << ShmBlocks(prefix).size() << " block(s) left";
}

// A task worker killed after it filled a block but before it queued the
// task, and an embedding worker killed while it embeds from blocks, leave
// no block and lose no vector.
TEST(VideoEmbedding, KilledWorkersLeaveNoSharedMemory) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  std::optional<fs::path> ffmpeg = FindFfmpeg();
  if (!ffmpeg) GTEST_SKIP() << "the ffmpeg tool is not installed";
  msearch::testing::TempDir temp;
  const fs::path root = temp.path();
  // Segments of at most 2 s make a long video many blocks, and the analysis
  // long enough to be caught between its first block and its end.
  fs::path config =
      WriteConfig(root, "    min_segment_s: 1\n    max_segment_s: 2\n    frames_per_segment: 8\n",
                  /*batch_size=*/1);
  const fs::path images = shared / "corpus/images";
  const fs::path video = root / "long.mp4";
  WriteSlideshow(*ffmpeg,
                 {images / "cat_chelsea_baseline.jpg", images / "rocket_launch.jpg",
                  images / "landscape_dune_sea.jpg", images / "coffee_cup_progressive.jpg"},
                 60, 4, video);
  InstallClip(shared, root);
  const std::string prefix = SharedBufferPrefixFor(config::LoadConfigFile(config));

  msearch::testing::ServeProcess serve(root);
  ASSERT_TRUE(serve.WaitUntilReady(120s)) << serve.Diagnostics();
  queue::TaskQueue queue(root / "data" / "task_queue.db", queue::QueueOptions{});
  fs::copy_file(video, root / "media" / "long.mp4");

  // The first block appears while the analysis goes on: kill its maker.
  std::string orphan;
  ASSERT_TRUE(WaitUntil(
      [&] {
        std::vector<std::string> blocks = ShmBlocks(prefix);
        if (blocks.empty()) return false;
        orphan = blocks.front();
        kill(ipc::SharedBufferCreator(prefix, orphan), SIGKILL);
        return true;
      },
      180s, 2ms))
      << serve.Diagnostics();
  ASSERT_TRUE(queue.TasksWithDataKey("embed", "blocks", 0).empty())
      << "the task worker handed its blocks over before it was killed";

  // The analysis runs again in a fresh worker and hands its frames over;
  // kill the embedding worker while it embeds them.
  bool killed_embedding_worker = false;
  ASSERT_TRUE(WaitUntil(
      [&] {
        queue::TaskFilter filter;
        filter.type = "embed";
        filter.status = queue::TaskStatus::kProcessing;
        for (const queue::TaskRecord& task : queue.List(filter).tasks) {
          if (!task.worker_id || FrameBlocksOf(task.data).empty()) continue;
          pid_t pid = std::stoi(task.worker_id->substr(task.worker_id->rfind(':') + 1));
          kill(pid, SIGKILL);
          killed_embedding_worker = true;
          return true;
        }
        return false;
      },
      180s, 2ms))
      << serve.Diagnostics() << WorkerLogs(root);
  ASSERT_TRUE(killed_embedding_worker);
  // The sweep removed the block of the task worker that died.
  EXPECT_TRUE(WaitUntil([&] { return !msearch::testing::ShmExists(orphan); }, 60s, 200ms))
      << orphan << " was left\n"
      << serve.Diagnostics();

  // A fresh embedding worker finishes the task from the blocks, which the
  // sweep kept for it, and removes them.
  store::Catalog catalog(root / "data" / "catalog.db");
  std::optional<store::FileRecord> file = catalog.FindFileByPath(root / "media" / "long.mp4");
  ASSERT_TRUE(file);
  ASSERT_TRUE(
      WaitUntil([&] { return !CompletedVideoEmbeds(queue, file->id).empty(); }, 240s, 200ms))
      << serve.Diagnostics();
  nlohmann::json result = CompletedVideoEmbeds(queue, file->id).back();
  int64_t segments = SegmentCount(catalog, file->id);
  EXPECT_GE(segments, 100);
  EXPECT_EQ(result["segments"], segments) << result.dump();
  EXPECT_GT(result["from_blocks"].get<int>(), 0) << result.dump() << "\n" << WorkerLogs(root);
  EXPECT_EQ(static_cast<int64_t>(StoredVectors(catalog, file->id).size()), segments);

  // The embedding worker reported its progress to the main process, which
  // keeps it in the state cache.
  queue::TaskFilter completed;
  completed.type = "embed";
  completed.status = queue::TaskStatus::kCompleted;
  std::vector<queue::TaskRecord> tasks = queue.List(completed).tasks;
  ASSERT_FALSE(tasks.empty());
  queue::StateCache state_cache(root / "data" / "state_cache.db", queue::StateCacheOptions{});
  std::optional<nlohmann::json> state = state_cache.GetTaskState(tasks.front().id);
  ASSERT_TRUE(state.has_value()) << "no progress of task " << tasks.front().id;
  EXPECT_GT(state->value("progress", 0.0), 0.0) << state->dump();
  EXPECT_EQ(state->value("process_id", ""), "embedding_worker_1") << state->dump();

  EXPECT_TRUE(WaitUntil([&] { return ShmBlocks(prefix).empty(); }, 60s, 200ms))
      << ShmBlocks(prefix).size() << " block(s) left\n"
      << serve.Diagnostics();
  EXPECT_TRUE(WaitUntil([&] { return TemporaryFiles(root / "data").empty(); }, 120s, 500ms))
      << TemporaryFiles(root / "data").front();
}

}  // namespace
}  // namespace msearch::runtime

// End-to-end tests of `msearch serve`: the main process, its file monitor,
// task and embedding workers, the REST API and the databases they share, run
// as real processes over copies of the corpus.

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include "common/process_info.h"
#include "process_runner.h"
#include "queue/state_cache.h"
#include "queue/task_queue.h"
#include "serve_fixture.h"
#include "store/catalog.h"
#include "support/shared_data.h"
#include "support/temp_dir.h"

namespace msearch::runtime {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::ServeProcess;

// Media the workers must index. long_3min_lowres.mp4 and tree_cinepak.avi are
// the longest videos; huge_20000x20000_gray.png makes a thumbnail task that
// runs for seconds.
const std::vector<std::string> kGoodFiles = {
    "images/cat_chelsea_baseline.jpg",
    "images/coffee_cup_progressive.jpg",
    "images/png_alpha_flower.png",
    "images/webp_lossy_ladybird.webp",
    "images/anim_traffic_light.gif",
    "images/text_zh_shanghai.png",
    "images/heif_desert_buttes.heif",
    "images/huge_20000x20000_gray.png",
    "video/long_3min_lowres.mp4",
    "video/tree_cinepak.avi",
    "video/flower_h264_aac.mp4",
    "video/rotated_90.mp4",
    "video/vp9_opus.webm",
    "audio/speech_en_espeak.wav",
    "audio/xylophone_aac.m4a",
    "audio/speech_librivox_id3v23_cover.mp3",
    "audio/flac_vorbis_comments.flac",
    "audio/speech_opus_tagged.opus",
};
const std::vector<std::string> kBrokenFiles = {"broken/empty_zero_bytes.jpg",
                                               "broken/truncated_no_moov.mp4"};

std::string KindOfCorpusFolder(const std::string& corpus_path) {
  std::string folder = corpus_path.substr(0, corpus_path.find('/'));
  if (folder == "images") return "image";
  if (folder == "video") return "video";
  if (folder == "audio") return "audio";
  return "broken";
}

void CopyIntoMedia(const fs::path& corpus, const std::string& file, const fs::path& media,
                   const std::string& new_name = "") {
  fs::path target = media / (new_name.empty() ? fs::path(file).filename().string() : new_name);
  fs::copy_file(corpus / file, target);
  // The corpus is read-only; copies must be writable so tests can change them.
  fs::permissions(target, fs::perms::owner_read | fs::perms::owner_write);
}

queue::TaskQueue OpenQueue(const fs::path& root) {
  return queue::TaskQueue(root / "data" / "task_queue.db", queue::QueueOptions{});
}

// True when every copied file is catalogued and nothing waits in the
// catalog or the queue.
bool AllWorkDone(store::Catalog& catalog, queue::TaskQueue& queue, int64_t expected_files) {
  store::CatalogCounts counts = catalog.Counts();
  if (counts.total != expected_files || counts.pending + counts.processing > 0) return false;
  queue::QueueStats stats = queue.Stats();
  return stats.pending == 0 && stats.running == 0;
}

// Text search through the REST API; the names of the files found, or nullopt
// when the API did not respond.
std::optional<std::vector<nlohmann::json>> SearchApi(int port, const std::string& query) {
  std::optional<nlohmann::json> response =
      testing::PostJson(port, "/api/v1/search/text", {{"query", query}, {"top_k", 50}});
  if (!response) return std::nullopt;
  return response->at("results").get<std::vector<nlohmann::json>>();
}

std::set<std::string> Names(const std::vector<nlohmann::json>& results) {
  std::set<std::string> names;
  for (const nlohmann::json& result : results) names.insert(result.value("file_name", ""));
  return names;
}

// The pids of every process in a /health response.
std::vector<pid_t> Pids(const nlohmann::json& health) {
  std::vector<pid_t> pids;
  for (const nlohmann::json& process : health["processes"]) {
    pid_t pid = process.value("pid", 0);
    if (pid > 0) pids.push_back(pid);
  }
  return pids;
}

// SIGTERM to the main process, then the checks of an orderly stop: exit code
// 0, no process of the tree left, socket and api.json removed, and no task
// left 'processing'.
void ExpectOrderlyShutdown(ServeProcess& serve, const fs::path& root) {
  std::optional<nlohmann::json> health = serve.Health();
  ASSERT_TRUE(health.has_value());
  std::vector<pid_t> pids = Pids(*health);
  ASSERT_EQ(pids.size(), 5u) << health->dump(2);
  ASSERT_TRUE(fs::exists(root / "data" / "run" / "msearch.sock"));

  serve.process().Signal(SIGTERM);
  std::optional<int> status = serve.process().Wait(30s);
  ASSERT_TRUE(status.has_value()) << "main process still running 30 s after SIGTERM\n"
                                  << serve.Diagnostics();
  ASSERT_TRUE(WIFEXITED(*status)) << "wait status " << *status;
  EXPECT_EQ(WEXITSTATUS(*status), 0) << serve.Diagnostics();

  for (pid_t pid : pids) EXPECT_FALSE(ProcessAlive(pid)) << "pid " << pid << " still runs";
  EXPECT_FALSE(fs::exists(root / "data" / "run" / "msearch.sock"));
  EXPECT_FALSE(fs::exists(root / "data" / "api.json"));

  queue::TaskQueue queue = OpenQueue(root);
  queue::TaskFilter processing;
  processing.status = queue::TaskStatus::kProcessing;
  EXPECT_EQ(queue.List(processing).total, 0);

  queue::StateCache state_cache(root / "data" / "state_cache.db", queue::StateCacheOptions{});
  std::optional<queue::ProcessState> main_state = state_cache.GetProcess("main");
  ASSERT_TRUE(main_state.has_value());
  EXPECT_EQ(main_state->status, "stopped");
}

class ProcessTreeTest : public ::testing::Test {
 protected:
  testing::TempDir temp_;
};

TEST_F(ProcessTreeTest, IndexesAndSurvivesWorkerKill) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  const fs::path root = temp_.path();
  testing::WriteServeConfig(root);
  const fs::path media = root / "media";
  for (const std::string& file : kGoodFiles) CopyIntoMedia(shared / "corpus", file, media);
  for (const std::string& file : kBrokenFiles) CopyIntoMedia(shared / "corpus", file, media);
  const int64_t file_count = static_cast<int64_t>(kGoodFiles.size() + kBrokenFiles.size());

  ServeProcess serve(root);
  ASSERT_TRUE(serve.WaitUntilReady(120s)) << serve.Diagnostics();
  std::optional<nlohmann::json> health = serve.Health();
  ASSERT_TRUE(health.has_value());
  for (const char* id :
       {"main", "file_monitor", "task_worker_1", "task_worker_2", "embedding_worker_1"}) {
    nlohmann::json process = testing::FindProcess(*health, id);
    ASSERT_FALSE(process.is_null()) << id << " missing from " << health->dump(2);
    EXPECT_GT(process.value("pid", 0), 0) << id;
    EXPECT_EQ(process.value("restarts", -1), 0) << id;
  }

  // Kill a task worker while it runs a task. Only a child of this main
  // process is ever signalled.
  queue::TaskQueue queue = OpenQueue(root);
  pid_t victim_pid = 0;
  std::string victim_id;
  std::string victim_task;
  bool seen = testing::WaitUntil(
      [&] {
        queue::TaskFilter filter;
        filter.status = queue::TaskStatus::kProcessing;
        for (const queue::TaskRecord& task : queue.List(filter).tasks) {
          if (!task.worker_id) continue;
          size_t colon = task.worker_id->rfind(':');
          if (colon == std::string::npos) continue;
          pid_t pid = std::stoi(task.worker_id->substr(colon + 1));
          if (testing::ParentPid(pid) != serve.pid()) continue;
          victim_pid = pid;
          victim_id = task.worker_id->substr(0, colon);
          victim_task = task.type + " of " + task.file_path.value_or("?");
          return true;
        }
        return false;
      },
      120s, 10ms);
  ASSERT_TRUE(seen) << "no task was ever seen processing\n" << serve.Diagnostics();
  ASSERT_TRUE(victim_id.starts_with("task_worker_")) << victim_id;
  std::cout << "[ killing  ] " << victim_id << " (pid " << victim_pid << ") running " << victim_task
            << std::endl;
  ASSERT_EQ(kill(victim_pid, SIGKILL), 0);

  store::Catalog catalog(root / "data" / "catalog.db");
  ASSERT_TRUE(
      testing::WaitUntil([&] { return AllWorkDone(catalog, queue, file_count); }, 120s, 100ms))
      << "counts: " << nlohmann::json(catalog.Counts().by_kind).dump()
      << " total=" << catalog.Counts().total << " pending=" << catalog.Counts().pending
      << " processing=" << catalog.Counts().processing << " queue pending=" << queue.Stats().pending
      << " running=" << queue.Stats().running << "\n"
      << serve.Diagnostics();

  // One catalog row per copied file, with the outcome its content calls for.
  store::FileFilter all;
  all.limit = 1000;
  std::vector<store::FileRecord> files = catalog.ListFiles(all);
  ASSERT_EQ(static_cast<int64_t>(files.size()), file_count);
  std::set<std::string> paths;
  std::set<std::string> uuids;
  for (const store::FileRecord& file : files) {
    paths.insert(file.path);
    uuids.insert(file.uuid);
  }
  EXPECT_EQ(static_cast<int64_t>(paths.size()), file_count);
  EXPECT_EQ(static_cast<int64_t>(uuids.size()), file_count);

  for (const std::string& corpus_path : kGoodFiles) {
    std::string name = fs::path(corpus_path).filename().string();
    std::optional<store::FileRecord> file = catalog.FindFileByPath(media / name);
    ASSERT_TRUE(file.has_value()) << name << " not catalogued";
    EXPECT_EQ(file->status, "indexed") << name << ": " << file->error.value_or("");
    EXPECT_EQ(file->kind, KindOfCorpusFolder(corpus_path)) << name;
    std::optional<store::MediaInfo> info = catalog.GetMediaInfo(file->id);
    ASSERT_TRUE(info.has_value()) << name << " has no metadata";
    if (file->kind != "audio") {
      EXPECT_GT(info->width, 0) << name;
      EXPECT_GT(info->height, 0) << name;
    }
    if (file->kind != "image") {
      EXPECT_GT(info->duration, 0) << name;
    }
  }
  for (const std::string& corpus_path : kBrokenFiles) {
    std::string name = fs::path(corpus_path).filename().string();
    std::optional<store::FileRecord> file = catalog.FindFileByPath(media / name);
    ASSERT_TRUE(file.has_value()) << name << " not catalogued";
    EXPECT_EQ(file->status, "failed") << name;
    ASSERT_TRUE(file->error.has_value()) << name;
    EXPECT_NE(file->error->find(name), std::string::npos) << *file->error;
  }
  queue::QueueStats stats = queue.Stats();
  EXPECT_EQ(stats.by_type_and_status["probe"]["failed"], 2);
  EXPECT_EQ(stats.by_type_and_status["thumbnail"]["failed"], 0);

  // The killed worker runs again under the same id with a new pid.
  nlohmann::json restarted;
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        std::optional<nlohmann::json> now = serve.Health();
        if (!now) return false;
        restarted = testing::FindProcess(*now, victim_id);
        return restarted.is_object() && restarted.value("pid", 0) > 0 &&
               restarted.value("pid", 0) != victim_pid &&
               restarted.value("status", "") == "running";
      },
      60s, 100ms))
      << restarted.dump();
  EXPECT_GE(restarted.value("restarts", 0), 1);
  EXPECT_NE(restarted.value("last_exit", "").find("signal 9"), std::string::npos)
      << restarted.dump();
  queue::StateCache state_cache(root / "data" / "state_cache.db", queue::StateCacheOptions{});
  std::optional<queue::ProcessState> row = state_cache.GetProcess(victim_id);
  ASSERT_TRUE(row.has_value());
  EXPECT_GE(row->restarts, 1);
  EXPECT_EQ(row->pid, restarted.value("pid", 0));
  ASSERT_TRUE(row->last_error.has_value());
  EXPECT_NE(row->last_error->find("signal 9"), std::string::npos) << *row->last_error;
  // A child that never ended has no error to show.
  std::optional<queue::ProcessState> monitor_row = state_cache.GetProcess("file_monitor");
  ASSERT_TRUE(monitor_row.has_value());
  EXPECT_FALSE(monitor_row->last_error.has_value()) << *monitor_row->last_error;

  // The command-line search reads the same catalog while the service runs.
  testing::CommandResult search = testing::RunCommand(
      testing::MsearchBinary(),
      {"--config", (root / "config.yml").string(), "search", "ladybird", "--json"});
  ASSERT_EQ(search.exit_code, 0) << search.err;
  nlohmann::json found = nlohmann::json::parse(search.out, nullptr, false);
  ASSERT_FALSE(found.is_discarded()) << search.out;
  ASSERT_EQ(found["total_results"], 1) << search.out;
  EXPECT_EQ(found["results"][0]["file_name"], "webp_lossy_ladybird.webp");
  EXPECT_EQ(found["results"][0]["file_type"], "image");

  ExpectOrderlyShutdown(serve, root);
}

TEST_F(ProcessTreeTest, LiveChangesReachSearch) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  const fs::path root = temp_.path();
  const fs::path corpus = shared / "corpus";
  testing::WriteServeConfig(root);
  const fs::path media = root / "media";
  CopyIntoMedia(corpus, "images/cat_chelsea_baseline.jpg", media);
  CopyIntoMedia(corpus, "audio/speech_en_espeak.wav", media);
  CopyIntoMedia(corpus, "video/rotated_90.mp4", media);

  ServeProcess serve(root);
  ASSERT_TRUE(serve.WaitUntilReady(120s)) << serve.Diagnostics();
  store::Catalog catalog(root / "data" / "catalog.db");
  queue::TaskQueue queue = OpenQueue(root);
  ASSERT_TRUE(testing::WaitUntil([&] { return AllWorkDone(catalog, queue, 3); }, 120s, 100ms))
      << serve.Diagnostics();

  // A new file becomes findable by name.
  auto added_at = std::chrono::steady_clock::now();
  CopyIntoMedia(corpus, "images/webp_lossy_ladybird.webp", media, "ferrycrossing.webp");
  std::vector<nlohmann::json> hits;
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        auto results = SearchApi(serve.port(), "ferrycrossing");
        if (results) hits = *results;
        return !hits.empty();
      },
      120s, 100ms))
      << serve.Diagnostics();
  std::chrono::duration<double> latency = std::chrono::steady_clock::now() - added_at;
  std::cout << "[ latency  ] new file searchable after " << latency.count() << " s" << std::endl;
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0]["file_name"], "ferrycrossing.webp");
  EXPECT_EQ(hits[0]["file_path"], (media / "ferrycrossing.webp").string());
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        auto file = catalog.FindFileByPath(media / "ferrycrossing.webp");
        return file && file->status == "indexed";
      },
      120s, 100ms));

  // A deleted file leaves the search results and the catalog.
  auto before_delete = SearchApi(serve.port(), "chelsea");
  ASSERT_TRUE(before_delete.has_value());
  ASSERT_EQ(Names(*before_delete), std::set<std::string>{"cat_chelsea_baseline.jpg"});
  fs::remove(media / "cat_chelsea_baseline.jpg");
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        auto results = SearchApi(serve.port(), "chelsea");
        return results && results->empty() &&
               !catalog.FindFileByPath(media / "cat_chelsea_baseline.jpg");
      },
      120s, 100ms))
      << serve.Diagnostics();

  // A renamed file keeps its uuid under the new name.
  std::optional<store::FileRecord> original =
      catalog.FindFileByPath(media / "speech_en_espeak.wav");
  ASSERT_TRUE(original.has_value());
  ASSERT_EQ(original->status, "indexed");
  fs::rename(media / "speech_en_espeak.wav", media / "narration_renamed.wav");
  std::vector<nlohmann::json> renamed_hits;
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        auto results = SearchApi(serve.port(), "narration_renamed");
        if (results) renamed_hits = *results;
        return !renamed_hits.empty();
      },
      120s, 100ms))
      << serve.Diagnostics();
  ASSERT_EQ(renamed_hits.size(), 1u);
  EXPECT_EQ(renamed_hits[0]["file_uuid"], original->uuid);
  EXPECT_EQ(renamed_hits[0]["file_name"], "narration_renamed.wav");
  std::optional<std::vector<nlohmann::json>> old_name;
  EXPECT_TRUE(testing::WaitUntil(
      [&] {
        old_name = SearchApi(serve.port(), "espeak");
        return old_name && old_name->empty();
      },
      60s, 100ms))
      << (old_name ? nlohmann::json(*old_name).dump(2) : "no answer");
  EXPECT_FALSE(catalog.FindFileByPath(media / "speech_en_espeak.wav").has_value());
  std::optional<store::FileRecord> moved = catalog.FindFileByPath(media / "narration_renamed.wav");
  ASSERT_TRUE(moved.has_value());
  EXPECT_EQ(moved->uuid, original->uuid);
  EXPECT_EQ(moved->id, original->id);

  ASSERT_TRUE(testing::WaitUntil([&] { return AllWorkDone(catalog, queue, 3); }, 120s, 100ms));
  EXPECT_EQ(catalog.Counts().indexed, 3);

  ExpectOrderlyShutdown(serve, root);
}

TEST_F(ProcessTreeTest, ChildrenExitWhenMainKilled) {
  const fs::path root = temp_.path();
  fs::path config = testing::WriteServeConfig(root);
  std::vector<pid_t> children;
  {
    ServeProcess first(root);
    ASSERT_TRUE(first.WaitUntilReady(120s)) << first.Diagnostics();
    std::optional<nlohmann::json> health = first.Health();
    ASSERT_TRUE(health.has_value());
    for (pid_t pid : Pids(*health)) {
      if (pid != first.pid()) children.push_back(pid);
    }
    ASSERT_EQ(children.size(), 4u) << health->dump(2);

    // SIGKILL to the main process alone: no orderly shutdown runs.
    first.process().Signal(SIGKILL);
    std::optional<int> status = first.process().Wait(30s);
    ASSERT_TRUE(status.has_value());
    ASSERT_TRUE(WIFSIGNALED(*status));
    EXPECT_TRUE(testing::WaitUntil(
        [&] {
          return std::none_of(children.begin(), children.end(),
                              [](pid_t pid) { return ProcessAlive(pid); });
        },
        60s, 100ms))
        << "children outlived the main process";
  }

  // The state table still lists main as running, but status checks the pid.
  testing::CommandResult status = testing::RunCommand(
      testing::MsearchBinary(), {"--config", config.string(), "status", "--json"});
  EXPECT_EQ(status.exit_code, 3) << status.out << status.err;
  nlohmann::json parsed = nlohmann::json::parse(status.out, nullptr, false);
  ASSERT_FALSE(parsed.is_discarded()) << status.out;
  EXPECT_EQ(parsed["running"], false);

  // The kernel released the data directory's lock: a new instance starts
  // over the leftovers (stale api.json and socket) and stops cleanly.
  ServeProcess second(root);
  ASSERT_TRUE(second.WaitUntilReady(120s)) << second.Diagnostics();
  std::optional<testing::ApiEndpoint> endpoint = testing::ReadApiEndpoint(root / "data");
  ASSERT_TRUE(endpoint.has_value());
  EXPECT_EQ(endpoint->pid, second.pid());
  ExpectOrderlyShutdown(second, root);
}

TEST_F(ProcessTreeTest, SecondServeOnSameDataDirRejected) {
  const fs::path root = temp_.path();
  fs::path config = testing::WriteServeConfig(root);
  ServeProcess first(root);
  ASSERT_TRUE(first.WaitUntilReady(120s)) << first.Diagnostics();

  testing::CommandResult second = testing::RunCommand(
      testing::MsearchBinary(), {"--config", config.string(), "serve", "--quiet"}, {}, 120s);
  ASSERT_FALSE(second.timed_out) << "the second serve kept running";
  EXPECT_NE(second.exit_code, 0);
  EXPECT_NE(second.err.find("already uses the data directory"), std::string::npos) << second.err;
  EXPECT_NE(second.err.find("pid " + std::to_string(first.pid())), std::string::npos) << second.err;

  // The first instance is unaffected.
  std::optional<testing::ApiEndpoint> endpoint = testing::ReadApiEndpoint(root / "data");
  ASSERT_TRUE(endpoint.has_value());
  EXPECT_EQ(endpoint->pid, first.pid());
  EXPECT_TRUE(first.Health().has_value());
  ExpectOrderlyShutdown(first, root);
}

}  // namespace
}  // namespace msearch::runtime

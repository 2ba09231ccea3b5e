// Tests of the msearch command line, run as a real process against a
// configuration and data in a temporary folder.

#include <algorithm>
#include <filesystem>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "process_runner.h"
#include "queue/task_queue.h"
#include "support/shared_data.h"
#include "support/temp_dir.h"

namespace msearch::cli {
namespace {

namespace fs = std::filesystem;

// Broken corpus files that no correct indexer accepts.
const std::set<std::string> kMustFail = {"empty_zero_bytes.jpg", "garbage_payload.mp4",
                                         "text_renamed.png", "truncated_no_moov.mp4"};
// The media files of corpus/mixed. Its hidden, temporary, text and PDF files are
// skipped.
const std::set<std::string> kMixedMedia = {"voiceover take 1.wav", "A001 C003 take 2.mov",
                                           "A001_C002.mp4", "DSC_0042.JPG", "日落照片.jpg"};
constexpr int kBrokenCount = 9;
constexpr int kMixedSkipped = 4;

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = temp_ / "config.yml";
    testing::WriteFile(config_, "storage:\n  data_dir: " + Quoted(temp_ / "data") +
                                    "\nlogging:\n  dir: " + Quoted(temp_ / "logs") + "\n");
  }

  static std::string Quoted(const fs::path& path) { return nlohmann::json(path.string()).dump(); }

  testing::CommandResult Msearch(std::vector<std::string> args) {
    args.insert(args.begin(), {"--config", config_.string()});
    return testing::RunCommand(testing::MsearchBinary(), args);
  }

  // Runs a command that prints JSON and returns it parsed; fails the test
  // when stdout is not JSON.
  nlohmann::json MsearchJson(const std::vector<std::string>& args, int expected_exit_code = 0) {
    testing::CommandResult result = Msearch(args);
    EXPECT_EQ(result.exit_code, expected_exit_code) << result.err;
    nlohmann::json json = nlohmann::json::parse(result.out, nullptr, false);
    EXPECT_FALSE(json.is_discarded()) << "stdout is not JSON:\n" << result.out;
    return json;
  }

  // A library folder with copies of corpus/mixed and corpus/broken.
  fs::path CopyLibrary(const fs::path& corpus) {
    fs::path library = temp_ / "library";
    fs::create_directories(library);
    fs::copy(corpus / "mixed", library / "mixed", fs::copy_options::recursive);
    fs::copy(corpus / "broken", library / "broken", fs::copy_options::recursive);
    return library;
  }

  testing::TempDir temp_;
  fs::path config_;
};

TEST_F(CliTest, IndexOnceReportsCounts) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  fs::path library = CopyLibrary(shared / "corpus");
  nlohmann::json report =
      MsearchJson({"index", library.string(), "--once", "--json"}, /*expected_exit_code=*/4);

  const int media_count = static_cast<int>(kMixedMedia.size()) + kBrokenCount;
  EXPECT_EQ(report["directory"], library.string());
  EXPECT_EQ(report["scan"]["seen"], media_count);
  EXPECT_EQ(report["scan"]["added"], media_count);
  EXPECT_EQ(report["scan"]["skipped"], kMixedSkipped);
  EXPECT_TRUE(report["scan"]["errors"].empty());
  EXPECT_EQ(report["processed"], media_count);
  int indexed = report["indexed"].get<int>();
  int failed = report["failed"].get<int>();
  EXPECT_EQ(indexed + failed, media_count);

  std::set<std::string> failed_names;
  for (const nlohmann::json& error : report["errors"]) {
    fs::path path = error["path"].get<std::string>();
    std::string message = error["error"].get<std::string>();
    EXPECT_NE(message.find(path.filename().string()), std::string::npos) << message;
    if (error["task"] == "probe") {
      EXPECT_EQ(path.parent_path(), library / "broken") << path;
      failed_names.insert(path.filename().string());
    }
  }
  EXPECT_EQ(static_cast<int>(failed_names.size()), failed);
  for (const std::string& name : kMustFail) {
    EXPECT_TRUE(failed_names.contains(name)) << name << " was not reported as failed";
  }
  EXPECT_FALSE(failed_names.contains("really_a_png.jpg"));

  // The same folder again: nothing changed and nothing is left to process.
  nlohmann::json again = MsearchJson({"index", library.string(), "--once", "--json"});
  EXPECT_EQ(again["scan"]["unchanged"], media_count);
  EXPECT_EQ(again["scan"]["added"], 0);
  EXPECT_EQ(again["processed"], 0);
  EXPECT_EQ(again["failed"], 0);

  nlohmann::json status = MsearchJson({"index", "status", "--json"});
  EXPECT_EQ(status["total_files"], media_count);
  EXPECT_EQ(status["indexed_files"], indexed);
  EXPECT_EQ(status["failed_files"], failed);
  EXPECT_EQ(status["pending_files"], 0);
  EXPECT_EQ(status["queue_length"], 0);
  ASSERT_EQ(status["directories"].size(), 1u);
  EXPECT_EQ(status["directories"][0]["path"], library.string());
  // Indexed once, not watched.
  EXPECT_EQ(status["directories"][0]["state"], "paused");
  EXPECT_EQ(status["directories"][0]["total_files"], media_count);
  EXPECT_EQ(status["by_kind"]["video"].get<int>() + status["by_kind"]["image"].get<int>() +
                status["by_kind"]["audio"].get<int>(),
            media_count);
}

TEST_F(CliTest, IndexOnceWithoutFailuresExitsZero) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  fs::path library = temp_ / "library";
  fs::copy(shared / "corpus" / "mixed", library, fs::copy_options::recursive);
  nlohmann::json report = MsearchJson({"index", library.string(), "--once", "--json"});
  EXPECT_EQ(report["indexed"], static_cast<int>(kMixedMedia.size()));
  EXPECT_EQ(report["failed"], 0);
  EXPECT_TRUE(report["errors"].empty()) << report["errors"].dump(2);

  // The text report names the folder and the counts.
  testing::CommandResult text = Msearch({"index", library.string(), "--once"});
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find(library.string()), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("0 failed"), std::string::npos) << text.out;
}

TEST_F(CliTest, SearchFindsChineseName) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  fs::path library = CopyLibrary(shared / "corpus");
  MsearchJson({"index", library.string(), "--once", "--json"}, 4);

  nlohmann::json found = MsearchJson({"search", "港口", "--json"});
  EXPECT_EQ(found["query"], "港口");
  ASSERT_EQ(found["total_results"], 1) << found.dump(2);
  const nlohmann::json& hit = found["results"][0];
  EXPECT_EQ(hit["file_name"], "日落照片.jpg");
  EXPECT_EQ(hit["file_type"], "image");
  EXPECT_EQ(hit["metadata"]["width"], 480);
  EXPECT_EQ(hit["metadata"]["height"], 300);

  testing::CommandResult text = Msearch({"search", "日落照片"});
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("1 result(s)"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("港口素材/日落照片.jpg"), std::string::npos) << text.out;

  // --type filters by kind.
  nlohmann::json videos = MsearchJson({"search", "A001", "--type", "video", "--json"});
  EXPECT_EQ(videos["total_results"], 2) << videos.dump(2);
  nlohmann::json images = MsearchJson({"search", "A001", "--type", "image", "--json"});
  EXPECT_EQ(images["total_results"], 0) << images.dump(2);
}

TEST_F(CliTest, SearchWithoutMatchesSaysSo) {
  testing::CommandResult result = Msearch({"search", "qqzzxxnothing"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("No matches"), std::string::npos) << result.out;
  nlohmann::json empty = MsearchJson({"search", "qqzzxxnothing", "--json"});
  EXPECT_EQ(empty["total_results"], 0);
  EXPECT_TRUE(empty["results"].empty());
}

TEST_F(CliTest, TaskStatsCountsQueue) {
  nlohmann::json empty = MsearchJson({"task", "stats", "--json"});
  EXPECT_EQ(empty["queue_length"], 0);
  EXPECT_EQ(empty["running"], 0);
  EXPECT_EQ(empty["paused"], false);

  {
    queue::TaskQueue queue(temp_ / "data" / "task_queue.db", queue::QueueOptions{});
    for (int i = 0; i < 3; ++i) {
      queue::NewTask task;
      task.type = i < 2 ? "probe" : "thumbnail";
      task.data = {{"file_id", i}};
      queue.Enqueue(task);
    }
    std::vector<std::string> types = {"thumbnail"};
    ASSERT_EQ(queue.Claim("test_worker:1", types, 1).size(), 1u);
  }
  nlohmann::json stats = MsearchJson({"task", "stats", "--json"});
  EXPECT_EQ(stats["queue_length"], 2);
  EXPECT_EQ(stats["running"], 1);
  EXPECT_EQ(stats["by_type"]["probe"], 2);
  EXPECT_EQ(stats["by_type"]["thumbnail"], 1);
  EXPECT_EQ(stats["by_status"]["pending"], 2);
  EXPECT_EQ(stats["by_status"]["processing"], 1);
  EXPECT_EQ(stats["by_type_and_status"]["thumbnail"]["processing"], 1);

  testing::CommandResult text = Msearch({"task", "stats"});
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("Queue: 2 pending, 1 running"), std::string::npos) << text.out;
}

TEST_F(CliTest, StatusWhenNotRunning) {
  nlohmann::json status = MsearchJson({"status", "--json"}, /*expected_exit_code=*/3);
  EXPECT_EQ(status["running"], false);
  testing::CommandResult text = Msearch({"status"});
  EXPECT_EQ(text.exit_code, 3);
  EXPECT_NE(text.out.find("not running"), std::string::npos) << text.out;
}

TEST_F(CliTest, UnknownConfigKeyRejected) {
  testing::WriteFile(config_, "api:\n  prot: 8000\n");
  testing::CommandResult result = Msearch({"status"});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.err.find("api.prot"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find(config_.string()), std::string::npos) << result.err;
}

TEST_F(CliTest, MissingConfigFileRejected) {
  config_ = temp_ / "absent.yml";
  testing::CommandResult result = Msearch({"status"});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.err.find("absent.yml"), std::string::npos) << result.err;
}

TEST_F(CliTest, IndexMissingDirectoryNamesPath) {
  fs::path missing = temp_ / "nonexistent";
  testing::CommandResult result = Msearch({"index", missing.string(), "--once"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find(missing.string()), std::string::npos) << result.err;
  EXPECT_TRUE(result.out.empty()) << result.out;
}

TEST_F(CliTest, IndexWithoutOnceAddsWatchedDirectory) {
  fs::path folder = temp_ / "photos";
  fs::create_directories(folder);
  nlohmann::json added = MsearchJson({"index", folder.string(), "--json"});
  EXPECT_EQ(added["directory"], folder.string());
  EXPECT_EQ(added["running"], false);
  EXPECT_GT(added["directory_id"].get<int>(), 0);

  nlohmann::json status = MsearchJson({"index", "status", "--json"});
  ASSERT_EQ(status["directories"].size(), 1u);
  EXPECT_EQ(status["directories"][0]["path"], folder.string());
  EXPECT_NE(status["directories"][0]["state"], "paused");
}

TEST_F(CliTest, HelpListsSubcommands) {
  testing::CommandResult result = testing::RunCommand(testing::MsearchBinary(), {"--help"});
  EXPECT_EQ(result.exit_code, 0);
  for (const char* command : {"serve", "search", "index", "task", "status"}) {
    EXPECT_TRUE(
        std::regex_search(result.out, std::regex(std::string(R"((^|\n)\s+)") + command + R"(\s)")))
        << command << " missing from:\n"
        << result.out;
  }
  // The child role is internal and hidden.
  EXPECT_FALSE(std::regex_search(result.out, std::regex(R"((^|\n)\s+child\s)"))) << result.out;
}

TEST_F(CliTest, UnknownSubcommandRejected) {
  testing::CommandResult result = Msearch({"reindex"});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.err.find("reindex"), std::string::npos) << result.err;
}

}  // namespace
}  // namespace msearch::cli

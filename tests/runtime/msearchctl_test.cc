// Tests of scripts/msearchctl, the service wrapper, against the real
// executable: start, status, a second start, stop.

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/process_info.h"
#include "process_runner.h"
#include "serve_fixture.h"
#include "support/temp_dir.h"

namespace msearch::runtime {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// One row of the `status` table: PROCESS TYPE PID STATE UPTIME RESTARTS MEMORY.
struct StatusRow {
  std::string process_id;
  std::string line;
  pid_t pid = 0;
  std::string memory;  // "12.5 MB"
};

std::vector<StatusRow> ParseStatusTable(const std::string& text) {
  std::vector<StatusRow> rows;
  std::istringstream lines(text);
  std::string line;
  // The memory column ends the line: a number and a unit.
  std::regex row_pattern(R"(^(\S+)\s+\S+\s+(\d+)\s+.*\s(\d+(?:\.\d+)? (?:B|KB|MB|GB))\s*$)");
  while (std::getline(lines, line)) {
    std::smatch match;
    if (!std::regex_match(line, match, row_pattern)) continue;
    rows.push_back({match[1], line, static_cast<pid_t>(std::stol(match[2])), match[3]});
  }
  return rows;
}

class MsearchctlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = testing::WriteServeConfig(temp_.path());
    env_ = {{"MSEARCH_BIN", testing::MsearchBinary().string()},
            {"MSEARCH_CONFIG", config_.string()},
            {"MSEARCH_RUN_DIR", (temp_ / "run").string()},
            {"MSEARCH_START_TIMEOUT", "120"},
            {"MSEARCH_STOP_TIMEOUT", "60"}};
  }

  testing::CommandResult Ctl(const std::vector<std::string>& args) {
    return testing::RunCommand(script_, args, env_, 180s);
  }

  testing::TempDir temp_;
  fs::path script_ = fs::path(MSEARCH_SOURCE_DIR) / "scripts" / "msearchctl";
  fs::path config_;
  std::vector<std::pair<std::string, std::string>> env_;
};

TEST_F(MsearchctlTest, StartStatusStop) {
  ASSERT_TRUE(fs::exists(script_)) << script_;
  testing::KillGuard guard;
  testing::CommandResult start = Ctl({"start"});
  ASSERT_EQ(start.exit_code, 0) << start.out << start.err;
  std::smatch match;
  ASSERT_TRUE(std::regex_search(start.out, match, std::regex(R"(msearch started \(pid (\d+)\))")))
      << start.out;
  pid_t main_pid = static_cast<pid_t>(std::stol(match[1]));
  // The service runs in its own session, so its pid leads its process group.
  guard.AddProcess(main_pid, config_.string(), /*whole_group=*/true);
  fs::path pid_file = temp_ / "run" / "msearch.pid";
  ASSERT_TRUE(fs::exists(pid_file));
  EXPECT_EQ(testing::ReadFile(pid_file), std::to_string(main_pid) + "\n");
  EXPECT_TRUE(ProcessAlive(main_pid));

  testing::CommandResult status = Ctl({"status"});
  ASSERT_EQ(status.exit_code, 0) << status.out << status.err;
  std::vector<StatusRow> rows = ParseStatusTable(status.out);
  std::vector<pid_t> child_pids;
  for (const char* id :
       {"main", "file_monitor", "task_worker_1", "task_worker_2", "embedding_worker_1"}) {
    auto row = std::find_if(rows.begin(), rows.end(),
                            [&](const StatusRow& candidate) { return candidate.process_id == id; });
    ASSERT_NE(row, rows.end()) << id << " missing from:\n" << status.out;
    EXPECT_TRUE(ProcessAlive(row->pid)) << row->line;
    EXPECT_NE(row->memory, "0 B") << row->line;
    if (std::string(id) == "main") {
      EXPECT_EQ(row->pid, main_pid);
    } else {
      EXPECT_EQ(testing::ParentPid(row->pid), main_pid) << row->line;
      child_pids.push_back(row->pid);
    }
  }
  EXPECT_NE(status.out.find("Total memory"), std::string::npos) << status.out;

  testing::CommandResult status_json = Ctl({"status", "--json"});
  ASSERT_EQ(status_json.exit_code, 0) << status_json.err;
  nlohmann::json parsed = nlohmann::json::parse(status_json.out, nullptr, false);
  ASSERT_FALSE(parsed.is_discarded()) << status_json.out;
  EXPECT_EQ(parsed["running"], true);
  EXPECT_EQ(parsed["processes"].size(), 5u);

  testing::CommandResult again = Ctl({"start"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("already running (pid " + std::to_string(main_pid) + ")"),
            std::string::npos)
      << again.out;

  testing::CommandResult stop = Ctl({"stop"});
  EXPECT_EQ(stop.exit_code, 0) << stop.err;
  EXPECT_NE(stop.out.find("msearch stopped"), std::string::npos) << stop.out;
  // A clean stop needs no SIGKILL.
  EXPECT_EQ(stop.err.find("SIGKILL"), std::string::npos) << stop.err;
  EXPECT_FALSE(ProcessAlive(main_pid));
  for (pid_t pid : child_pids) EXPECT_FALSE(ProcessAlive(pid)) << "child " << pid << " still runs";
  EXPECT_FALSE(fs::exists(pid_file));

  testing::CommandResult stopped = Ctl({"status"});
  EXPECT_EQ(stopped.exit_code, 3) << stopped.out << stopped.err;
  EXPECT_NE(stopped.out.find("msearch is not running"), std::string::npos) << stopped.out;

  testing::CommandResult stop_again = Ctl({"stop"});
  EXPECT_EQ(stop_again.exit_code, 0);
  EXPECT_NE(stop_again.out.find("not running"), std::string::npos) << stop_again.out;
}

TEST_F(MsearchctlTest, UnknownCommandShowsUsage) {
  testing::CommandResult result = Ctl({"launch"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("usage:"), std::string::npos) << result.err;
}

TEST_F(MsearchctlTest, MissingConfigRejected) {
  env_[1].second = (temp_ / "absent.yml").string();
  testing::CommandResult result = Ctl({"start"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("absent.yml"), std::string::npos) << result.err;
  EXPECT_FALSE(fs::exists(temp_ / "run" / "msearch.pid"));
}

}  // namespace
}  // namespace msearch::runtime

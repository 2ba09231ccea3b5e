#include "runtime/supervisor.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <signal.h>

#include "common/process_info.h"
#include "process_runner.h"
#include "support/temp_dir.h"

namespace msearch::runtime {
namespace {

using namespace std::chrono_literals;

struct StateEvent {
  std::string id;
  std::string state;
  pid_t pid = 0;
};

struct ExitEvent {
  std::string id;
  pid_t pid = 0;
  std::string last_exit;
};

// Supervisors of real short programs (/bin/sleep, /bin/false, /bin/sh).
// Every pid the supervisor reports is killed at teardown if it is still a
// child of the test, so a failed assertion leaves no process behind.
class SupervisorTest : public ::testing::Test {
 protected:
  static config::SupervisorConfig FastConfig() {
    config::SupervisorConfig config;
    config.heartbeat_interval = 0.1;
    config.heartbeat_timeout = 1000;  // only the heartbeat test relies on it
    config.restart_backoff_initial = 0.05;
    config.restart_backoff_max = 0.2;
    config.max_restarts = 5;
    config.restart_window = 300;
    config.shutdown_timeout = 1;
    return config;
  }

  std::unique_ptr<Supervisor> MakeSupervisor(const std::filesystem::path& executable,
                                             const config::SupervisorConfig& config) {
    Supervisor::Callbacks callbacks;
    callbacks.state_changed = [this](const ChildStatus& child) {
      states_.push_back({child.spec.id, child.state, child.pid});
      if (child.pid > 0) guard_.AddChild(child.pid);
    };
    callbacks.child_exited = [this](const ChildStatus& child, pid_t pid) {
      exits_.push_back({child.spec.id, pid, child.last_exit});
    };
    return std::make_unique<Supervisor>(config, executable, temp_ / "output", callbacks);
  }

  static ChildStatus StatusOf(const Supervisor& supervisor, const std::string& id) {
    for (const ChildStatus& status : supervisor.Snapshot()) {
      if (status.spec.id == id) return status;
    }
    ADD_FAILURE() << "no child with id " << id;
    return {};
  }

  // Calls Tick (and `each_tick`) every 20 ms until `done` holds, for at most 60 s.
  static bool TickUntil(Supervisor& supervisor, const std::function<bool()>& done,
                        const std::function<void()>& each_tick = {}) {
    auto deadline = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (each_tick) each_tick();
      supervisor.Tick();
      if (done()) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }

  std::vector<std::string> StatesOf(const std::string& id) const {
    std::vector<std::string> states;
    for (const StateEvent& event : states_) {
      if (event.id == id) states.push_back(event.state);
    }
    return states;
  }

  std::vector<ExitEvent> ExitsOf(const std::string& id) const {
    std::vector<ExitEvent> exits;
    for (const ExitEvent& event : exits_) {
      if (event.id == id) exits.push_back(event);
    }
    return exits;
  }

  testing::TempDir temp_;
  testing::KillGuard guard_;  // destroyed before temp_, after the supervisors
  std::vector<StateEvent> states_;
  std::vector<ExitEvent> exits_;
};

TEST_F(SupervisorTest, RestartsKilledChild) {
  auto supervisor = MakeSupervisor("/bin/sleep", FastConfig());
  supervisor->Add({"sleeper", "task_worker", {"100"}});
  supervisor->StartAll();
  ChildStatus first = StatusOf(*supervisor, "sleeper");
  ASSERT_EQ(first.state, "running");
  ASSERT_GT(first.pid, 0);
  EXPECT_TRUE(ProcessAlive(first.pid));
  EXPECT_EQ(first.restarts, 0);

  ASSERT_EQ(kill(first.pid, SIGKILL), 0);
  ASSERT_TRUE(TickUntil(*supervisor, [&] {
    ChildStatus now = StatusOf(*supervisor, "sleeper");
    return now.state == "running" && now.pid > 0 && now.pid != first.pid;
  }));

  ChildStatus second = StatusOf(*supervisor, "sleeper");
  EXPECT_EQ(second.restarts, 1);
  EXPECT_NE(second.last_exit.find("killed by signal 9"), std::string::npos) << second.last_exit;
  EXPECT_FALSE(second.error.has_value());
  EXPECT_TRUE(ProcessAlive(second.pid));

  std::vector<ExitEvent> exits = ExitsOf("sleeper");
  ASSERT_EQ(exits.size(), 1u);
  EXPECT_EQ(exits[0].pid, first.pid);
  EXPECT_NE(exits[0].last_exit.find("signal 9"), std::string::npos);

  std::vector<std::string> states = StatesOf("sleeper");
  std::vector<std::string> expected = {"running", "restarting", "running"};
  EXPECT_EQ(states, expected);
  ASSERT_FALSE(states_.empty());
  EXPECT_EQ(states_.back().pid, second.pid);

  supervisor->Shutdown({{"task_worker"}});
  EXPECT_FALSE(ProcessAlive(second.pid));
}

TEST_F(SupervisorTest, GivesUpOnChildThatKeepsExiting) {
  config::SupervisorConfig config = FastConfig();
  config.max_restarts = 2;
  config.restart_window = 600;
  config.restart_backoff_initial = 0.01;
  config.restart_backoff_max = 0.05;
  auto supervisor = MakeSupervisor("/bin/false", config);
  supervisor->Add({"crasher", "task_worker", {}});
  supervisor->StartAll();

  ASSERT_TRUE(
      TickUntil(*supervisor, [&] { return StatusOf(*supervisor, "crasher").state == "error"; }));
  ChildStatus status = StatusOf(*supervisor, "crasher");
  EXPECT_EQ(status.pid, 0);
  EXPECT_EQ(status.restarts, 2);
  EXPECT_EQ(status.last_exit, "exited with code 1");
  ASSERT_TRUE(status.error.has_value());
  EXPECT_NE(status.error->find("crasher 3 times"), std::string::npos) << *status.error;
  EXPECT_NE(status.error->find("exited with code 1"), std::string::npos) << *status.error;
  EXPECT_NE(status.error->find("not restarted"), std::string::npos) << *status.error;

  // Three runs ended, each with its own pid.
  std::vector<ExitEvent> exits = ExitsOf("crasher");
  ASSERT_EQ(exits.size(), 3u);
  EXPECT_NE(exits[0].pid, exits[1].pid);
  EXPECT_NE(exits[1].pid, exits[2].pid);
  EXPECT_EQ(StatesOf("crasher").back(), "error");

  // Once given up, ticks start nothing more.
  auto until = std::chrono::steady_clock::now() + 500ms;
  while (std::chrono::steady_clock::now() < until) {
    supervisor->Tick();
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(StatusOf(*supervisor, "crasher").state, "error");
  EXPECT_EQ(ExitsOf("crasher").size(), 3u);
  EXPECT_TRUE(supervisor->Shutdown({{"task_worker"}}).empty());
  EXPECT_EQ(StatusOf(*supervisor, "crasher").state, "error");
}

TEST_F(SupervisorTest, MissingExecutableEndsInError) {
  config::SupervisorConfig config = FastConfig();
  config.max_restarts = 1;
  config.restart_backoff_initial = 0.01;
  auto supervisor = MakeSupervisor(temp_ / "no-such-program", config);
  supervisor->Add({"ghost", "task_worker", {}});
  supervisor->StartAll();

  ASSERT_TRUE(
      TickUntil(*supervisor, [&] { return StatusOf(*supervisor, "ghost").state == "error"; }));
  ChildStatus status = StatusOf(*supervisor, "ghost");
  EXPECT_EQ(status.pid, 0);
  EXPECT_EQ(status.last_exit, "exited with code 127");
  ASSERT_TRUE(status.error.has_value());
  EXPECT_NE(status.error->find("ghost"), std::string::npos) << *status.error;
  // No process ever ran, so no exit was reported.
  EXPECT_TRUE(ExitsOf("ghost").empty());
}

TEST_F(SupervisorTest, HeartbeatTimeoutRestartsSilentChild) {
  config::SupervisorConfig config = FastConfig();
  // Long enough that the child that does send heartbeats (every tick, 20 ms)
  // is never late on a loaded machine.
  config.heartbeat_timeout = 2;
  auto supervisor = MakeSupervisor("/bin/sleep", config);
  supervisor->Add({"silent", "task_worker", {"100"}});
  supervisor->Add({"beating", "task_worker", {"100"}});
  supervisor->StartAll();
  pid_t silent_pid = StatusOf(*supervisor, "silent").pid;
  pid_t beating_pid = StatusOf(*supervisor, "beating").pid;
  ASSERT_GT(silent_pid, 0);
  ASSERT_GT(beating_pid, 0);

  ASSERT_TRUE(TickUntil(
      *supervisor,
      [&] {
        ChildStatus now = StatusOf(*supervisor, "silent");
        return now.state == "running" && now.pid > 0 && now.pid != silent_pid;
      },
      [&] { supervisor->RecordHeartbeat("beating"); }));

  ChildStatus silent = StatusOf(*supervisor, "silent");
  EXPECT_EQ(silent.restarts, 1);
  EXPECT_NE(silent.last_exit.find("killed by signal 9"), std::string::npos) << silent.last_exit;
  std::vector<ExitEvent> exits = ExitsOf("silent");
  ASSERT_EQ(exits.size(), 1u);
  EXPECT_EQ(exits[0].pid, silent_pid);

  ChildStatus beating = StatusOf(*supervisor, "beating");
  EXPECT_EQ(beating.pid, beating_pid);
  EXPECT_EQ(beating.restarts, 0);
  EXPECT_GT(beating.last_heartbeat, 0);
  EXPECT_TRUE(ExitsOf("beating").empty());

  supervisor->Shutdown({{"task_worker"}});
}

TEST_F(SupervisorTest, ShutdownKillsChildIgnoringSigterm) {
  config::SupervisorConfig config = FastConfig();
  // Groups before the last get at most 1 s; the last gets shutdown_timeout,
  // which is long here so the polite child always ends by SIGTERM.
  config.shutdown_timeout = 30;
  auto supervisor = MakeSupervisor("/bin/sh", config);
  // An ignored signal stays ignored across exec, so sleep itself ignores SIGTERM.
  supervisor->Add({"stubborn", "task_worker", {"-c", "trap '' TERM; exec sleep 100"}});
  supervisor->Add({"polite", "file_monitor", {"-c", "exec sleep 100"}});
  supervisor->StartAll();
  pid_t stubborn_pid = StatusOf(*supervisor, "stubborn").pid;
  pid_t polite_pid = StatusOf(*supervisor, "polite").pid;
  ASSERT_GT(stubborn_pid, 0);
  ASSERT_GT(polite_pid, 0);
  // SIGTERM must not arrive before the shell has set up the trap.
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        return testing::CommandLine(stubborn_pid).starts_with("sleep") &&
               testing::CommandLine(polite_pid).starts_with("sleep");
      },
      60s, 10ms));

  std::vector<std::string> killed = supervisor->Shutdown({{"task_worker"}, {"file_monitor"}});
  EXPECT_EQ(killed, std::vector<std::string>{"stubborn"});

  ChildStatus stubborn = StatusOf(*supervisor, "stubborn");
  ChildStatus polite = StatusOf(*supervisor, "polite");
  EXPECT_EQ(stubborn.state, "stopped");
  EXPECT_EQ(polite.state, "stopped");
  EXPECT_EQ(stubborn.pid, 0);
  EXPECT_EQ(polite.pid, 0);
  EXPECT_NE(stubborn.last_exit.find("killed by signal 9"), std::string::npos) << stubborn.last_exit;
  EXPECT_NE(polite.last_exit.find("killed by signal 15"), std::string::npos) << polite.last_exit;
  EXPECT_FALSE(ProcessAlive(stubborn_pid));
  EXPECT_FALSE(ProcessAlive(polite_pid));

  // Groups stop in order, and each exit is reported with the pid that ended.
  ASSERT_EQ(exits_.size(), 2u);
  EXPECT_EQ(exits_[0].id, "stubborn");
  EXPECT_EQ(exits_[0].pid, stubborn_pid);
  EXPECT_EQ(exits_[1].id, "polite");
  EXPECT_EQ(exits_[1].pid, polite_pid);
  std::vector<std::string> expected = {"running", "stopping", "stopped"};
  EXPECT_EQ(StatesOf("stubborn"), expected);
  EXPECT_EQ(StatesOf("polite"), expected);
}

TEST_F(SupervisorTest, ShutdownAfterShutdownIsQuiet) {
  auto supervisor = MakeSupervisor("/bin/sleep", FastConfig());
  supervisor->Add({"sleeper", "embedding_worker", {"100"}});
  supervisor->StartAll();
  pid_t pid = StatusOf(*supervisor, "sleeper").pid;
  EXPECT_TRUE(supervisor->Shutdown({{"embedding_worker"}}).empty());
  EXPECT_FALSE(ProcessAlive(pid));
  EXPECT_TRUE(supervisor->Shutdown({{"embedding_worker"}}).empty());
  EXPECT_EQ(StatusOf(*supervisor, "sleeper").state, "stopped");
  // A crash after shutdown is not restarted: Tick does nothing more.
  supervisor->Tick();
  EXPECT_EQ(StatusOf(*supervisor, "sleeper").pid, 0);
  EXPECT_EQ(ExitsOf("sleeper").size(), 1u);
}

}  // namespace
}  // namespace msearch::runtime

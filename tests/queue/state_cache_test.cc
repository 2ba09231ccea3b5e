#include "queue/state_cache.h"

#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "queue/queue_test_util.h"
#include "support/temp_dir.h"

namespace msearch::queue {
namespace {

using testing::ManualClock;

class StateCacheTest : public ::testing::Test {
 protected:
  StateCacheOptions Options(size_t capacity = 100) {
    StateCacheOptions options;
    options.memory_capacity = capacity;
    options.memory_ttl_seconds = 60;
    options.clock = clock_.AsFunction();
    return options;
  }
  std::filesystem::path Path() const { return dir_ / "state_cache.db"; }

  msearch::testing::TempDir dir_;
  ManualClock clock_;
};

TEST_F(StateCacheTest, WriteThroughSurvivesReopen) {
  {
    StateCache cache(Path(), Options());
    cache.UpdateTaskState("t1", {{"stage", "decode"}, {"progress", 0.25}});
    cache.UpdateTaskState("t1", {{"stage", "embed"}, {"progress", 0.75}});
    EXPECT_EQ((*cache.GetTaskState("t1"))["stage"], "embed");
  }
  StateCache reopened(Path(), Options());
  EXPECT_FALSE(reopened.IsCached("t1"));
  std::optional<nlohmann::json> state = reopened.GetTaskState("t1");
  ASSERT_TRUE(state);
  EXPECT_EQ((*state)["stage"], "embed");
  EXPECT_EQ((*state)["progress"], 0.75);
  EXPECT_TRUE(reopened.IsCached("t1"));
  EXPECT_FALSE(reopened.GetTaskState("missing"));
}

TEST_F(StateCacheTest, MemoryHoldsCapacityMostRecent) {
  StateCache cache(Path(), Options(2));
  cache.UpdateTaskState("a", {{"n", 1}});
  cache.UpdateTaskState("b", {{"n", 2}});
  ASSERT_TRUE(cache.GetTaskState("a"));  // b is now the least recently used
  cache.UpdateTaskState("c", {{"n", 3}});

  EXPECT_EQ(cache.CachedCount(), 2u);
  EXPECT_TRUE(cache.IsCached("a"));
  EXPECT_FALSE(cache.IsCached("b"));
  EXPECT_TRUE(cache.IsCached("c"));
  // Evicted from memory only: SQLite still has it. Reading it back evicts a,
  // now the least recently used.
  EXPECT_EQ((*cache.GetTaskState("b"))["n"], 2);
  EXPECT_TRUE(cache.IsCached("b"));
  EXPECT_FALSE(cache.IsCached("a"));
  EXPECT_TRUE(cache.IsCached("c"));
}

TEST_F(StateCacheTest, CountsAccesses) {
  StateCacheOptions options = Options();
  options.access_flush_threshold = 1000;
  {
    StateCache cache(Path(), options);
    cache.UpdateTaskState("t1", {{"n", 1}});
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(cache.GetTaskState("t1"));
    EXPECT_EQ(cache.AccessCount("t1"), 5);
    ASSERT_TRUE(cache.GetTaskState("t1"));
    // An update keeps the count.
    cache.UpdateTaskState("t1", {{"n", 2}});
    EXPECT_EQ(cache.AccessCount("t1"), 6);
    ASSERT_TRUE(cache.GetTaskState("t1"));
  }
  // The destructor wrote the last, unflushed access.
  StateCache reopened(Path(), options);
  EXPECT_EQ(reopened.AccessCount("t1"), 7);
  EXPECT_FALSE(reopened.AccessCount("missing"));
}

TEST_F(StateCacheTest, CleanupRemovesOldStates) {
  StateCache cache(Path(), Options());
  cache.UpdateTaskState("old", {{"n", 1}});
  clock_.Advance(3000);
  cache.UpdateTaskState("new", {{"n", 2}});
  clock_.Advance(1000);

  EXPECT_EQ(cache.CleanupOlderThan(3600), 1);
  EXPECT_FALSE(cache.IsCached("old"));
  EXPECT_FALSE(cache.GetTaskState("old"));
  EXPECT_TRUE(cache.GetTaskState("new"));

  StateCache other(Path(), Options());
  EXPECT_FALSE(other.GetTaskState("old"));
  EXPECT_TRUE(other.GetTaskState("new"));
}

TEST_F(StateCacheTest, ZeroTtlSeesOtherWriters) {
  StateCacheOptions options = Options();
  options.memory_ttl_seconds = 0;
  StateCache reader(Path(), options);
  StateCache writer(Path(), options);
  writer.UpdateTaskState("t1", {{"n", 1}});
  EXPECT_EQ((*reader.GetTaskState("t1"))["n"], 1);
  writer.UpdateTaskState("t1", {{"n", 2}});
  EXPECT_EQ((*reader.GetTaskState("t1"))["n"], 2);
  EXPECT_TRUE(writer.DeleteTaskState("t1"));
  EXPECT_FALSE(reader.GetTaskState("t1"));
}

TEST_F(StateCacheTest, ConcurrentThreadsShareOneCache) {
  StateCacheOptions options = Options(16);
  options.access_flush_threshold = 8;
  StateCache cache(Path(), options);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&cache, t] {
      for (int i = 0; i < 200; ++i) {
        std::string id = "task-" + std::to_string((i + t) % 40);
        cache.UpdateTaskState(id, {{"writer", t}, {"i", i}});
        std::optional<nlohmann::json> state = cache.GetTaskState(id);
        EXPECT_TRUE(state) << id;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  EXPECT_LE(cache.CachedCount(), 16u);
  int64_t accesses = 0;
  for (int n = 0; n < 40; ++n)
    accesses += cache.AccessCount("task-" + std::to_string(n)).value_or(0);
  EXPECT_EQ(accesses, 4 * 200);
}

TEST_F(StateCacheTest, ProcessHeartbeat) {
  StateCache cache(Path(), Options());
  ProcessState worker;
  worker.process_id = "task_worker-1";
  worker.process_type = "task_worker";
  worker.status = "starting";
  worker.pid = 4242;
  worker.started_at = clock_.Now();
  cache.UpsertProcess(worker);
  double created = clock_.Now();

  clock_.Advance(5);
  EXPECT_TRUE(cache.Heartbeat("task_worker-1", "running", 123456789));
  std::optional<ProcessState> state = cache.GetProcess("task_worker-1");
  ASSERT_TRUE(state);
  EXPECT_EQ(state->status, "running");
  EXPECT_DOUBLE_EQ(*state->heartbeat, created + 5);
  EXPECT_DOUBLE_EQ(state->last_updated, created + 5);
  EXPECT_EQ(state->rss_bytes, 123456789);
  EXPECT_EQ(state->pid, 4242);
  EXPECT_DOUBLE_EQ(state->created_at, created);

  // A heartbeat without a memory reading keeps the last one.
  clock_.Advance(5);
  EXPECT_TRUE(cache.Heartbeat("task_worker-1", "busy", std::nullopt));
  EXPECT_EQ(cache.GetProcess("task_worker-1")->rss_bytes, 123456789);
  EXPECT_FALSE(cache.Heartbeat("no-such-process", "running", 1));
}

TEST_F(StateCacheTest, ProcessUpsertKeepsCreatedAt) {
  StateCache cache(Path(), Options());
  ProcessState worker;
  worker.process_id = "embedding_worker-1";
  worker.process_type = "embedding_worker";
  cache.UpsertProcess(worker);
  double created = clock_.Now();

  clock_.Advance(60);
  worker.status = "running";
  worker.restarts = 2;
  worker.pid = 777;
  cache.UpsertProcess(worker);
  ASSERT_TRUE(cache.SetCurrentTask("embedding_worker-1", "task-9"));
  ASSERT_TRUE(cache.SetProcessStatus("embedding_worker-1", "crashed", 139, "segmentation fault"));

  std::optional<ProcessState> state = cache.GetProcess("embedding_worker-1");
  ASSERT_TRUE(state);
  EXPECT_DOUBLE_EQ(state->created_at, created);
  EXPECT_DOUBLE_EQ(state->last_updated, created + 60);
  EXPECT_EQ(state->restarts, 2);
  EXPECT_EQ(state->pid, 777);
  EXPECT_EQ(state->status, "crashed");
  EXPECT_EQ(state->exit_code, 139);
  EXPECT_EQ(state->last_error, "segmentation fault");
  EXPECT_EQ(state->current_task, "task-9");

  // Status alone keeps the exit code and error.
  ASSERT_TRUE(cache.SetProcessStatus("embedding_worker-1", "restarting"));
  EXPECT_EQ(cache.GetProcess("embedding_worker-1")->exit_code, 139);
  ASSERT_TRUE(cache.SetCurrentTask("embedding_worker-1", std::nullopt));
  EXPECT_FALSE(cache.GetProcess("embedding_worker-1")->current_task);
}

TEST_F(StateCacheTest, ListAndRemoveProcesses) {
  StateCache cache(Path(), Options());
  for (const char* id : {"task_worker-2", "main", "task_worker-1"}) {
    ProcessState state;
    state.process_id = id;
    state.process_type = std::string(id) == "main" ? "main" : "task_worker";
    cache.UpsertProcess(state);
  }
  std::vector<ProcessState> workers = cache.ListProcesses("task_worker");
  ASSERT_EQ(workers.size(), 2u);
  EXPECT_EQ(workers[0].process_id, "task_worker-1");
  EXPECT_EQ(workers[1].process_id, "task_worker-2");
  EXPECT_EQ(cache.ListProcesses().size(), 3u);

  EXPECT_TRUE(cache.RemoveProcess("task_worker-1"));
  EXPECT_FALSE(cache.RemoveProcess("task_worker-1"));
  EXPECT_EQ(cache.ListProcesses().size(), 2u);
  EXPECT_FALSE(cache.GetProcess("task_worker-1"));
}

}  // namespace
}  // namespace msearch::queue

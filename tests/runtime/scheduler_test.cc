#include "runtime/scheduler.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "config/config_loader.h"
#include "monitor/file_monitor.h"
#include "queue/state_cache.h"
#include "queue/task_queue.h"
#include "runtime/queue_options.h"
#include "runtime/queue_work_sink.h"
#include "runtime/task_types.h"
#include "store/catalog.h"
#include "support/temp_dir.h"

namespace msearch::runtime {
namespace {

namespace fs = std::filesystem;

class CollectingSink : public monitor::WorkSink {
 public:
  void FilesChanged(std::span<const store::UpsertOutcome> outcomes) override {
    files.insert(files.end(), outcomes.begin(), outcomes.end());
  }
  std::vector<store::UpsertOutcome> files;
};

// Probe tasks in the queue, by file id.
std::map<int64_t, queue::TaskRecord> ProbeTasks(queue::TaskQueue& queue) {
  queue::TaskFilter filter;
  filter.type = kTaskProbe;
  filter.limit = 1000;
  std::map<int64_t, queue::TaskRecord> tasks;
  for (queue::TaskRecord& task : queue.List(filter).tasks) {
    tasks[task.data["file_id"].get<int64_t>()] = std::move(task);
  }
  return tasks;
}

class SchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = config::DefaultConfig(temp_.path());
    fs::create_directories(config_.storage.data_dir);
    fs::create_directories(media_dir_);
    catalog_ = std::make_unique<store::Catalog>(config_.storage.catalog_path);
    queue_ = std::make_unique<queue::TaskQueue>(config_.ipc.task_queue.path,
                                                QueueOptionsFromConfig(config_));
    state_cache_ = std::make_unique<queue::StateCache>(config_.ipc.state_cache.path,
                                                       queue::StateCacheOptions{});
  }

  // Writes `count` small .jpg files (content does not matter: nothing probes
  // them here) and catalogues them with a scan; returns their ids in name order.
  std::vector<int64_t> CatalogueFiles(int count) {
    for (int i = 0; i < count; ++i) {
      std::ofstream(media_dir_ / ("photo_" + std::to_string(i) + ".jpg")) << "not decoded " << i;
    }
    directory_ = catalog_->AddDirectory(media_dir_, true, false);
    CollectingSink sink;
    monitor::ScanOnce(*catalog_, directory_, config_.processes.file_monitor, sink);
    std::vector<int64_t> ids;
    for (int i = 0; i < count; ++i) {
      ids.push_back(
          catalog_->FindFileByPath(media_dir_ / ("photo_" + std::to_string(i) + ".jpg"))->id);
    }
    return ids;
  }

  // Moves the file's last change `seconds` into the past, beyond the
  // reconciler's grace period for fresh files.
  void Age(int64_t file_id, double seconds) {
    store::Statement update =
        catalog_->database().Prepare("UPDATE files SET updated_at = updated_at - ? WHERE id = ?");
    update.Bind(1, seconds).Bind(2, file_id).Run();
  }

  testing::TempDir temp_;
  fs::path media_dir_ = temp_ / "media";
  config::Config config_;
  std::unique_ptr<store::Catalog> catalog_;
  std::unique_ptr<queue::TaskQueue> queue_;
  std::unique_ptr<queue::StateCache> state_cache_;
  store::DirectoryRecord directory_;
};

TEST_F(SchedulerTest, ReconcileQueuesOldPendingFiles) {
  std::vector<int64_t> ids = CatalogueFiles(4);
  // ids[0], ids[1]: pending for a minute; ids[2]: failed a minute ago;
  // ids[3]: pending but just catalogued, so the monitor may still queue it.
  catalog_->SetFileStatus(ids[2], "failed", std::string("broken"));
  for (int i = 0; i < 3; ++i) Age(ids[i], 60);

  std::vector<std::vector<std::string>> wakes;
  Scheduler scheduler(config_, *state_cache_,
                      [&wakes](const std::vector<std::string>& types) { wakes.push_back(types); });
  EXPECT_EQ(scheduler.ReconcilePendingFiles(), 2);

  std::map<int64_t, queue::TaskRecord> tasks = ProbeTasks(*queue_);
  ASSERT_EQ(tasks.size(), 2u);
  for (int64_t id : {ids[0], ids[1]}) {
    ASSERT_TRUE(tasks.contains(id)) << "no probe task for file " << id;
    const queue::TaskRecord& task = tasks.at(id);
    EXPECT_EQ(task.status, queue::TaskStatus::kPending);
    EXPECT_EQ(task.dedupe_key, "probe:" + std::to_string(id));
    EXPECT_EQ(task.scope, "dir:" + std::to_string(directory_.id));
    EXPECT_EQ(task.sender, "main");
    EXPECT_EQ(task.priority, kProbePriority);
  }
  ASSERT_EQ(wakes.size(), 1u);
  EXPECT_EQ(wakes[0], std::vector<std::string>{kTaskProbe});

  // The tasks still wait, so a second pass queues nothing and wakes no worker.
  EXPECT_EQ(scheduler.ReconcilePendingFiles(), 0);
  EXPECT_EQ(ProbeTasks(*queue_).size(), 2u);
  EXPECT_EQ(wakes.size(), 1u);

  // Once the grace period is over, the fresh file is queued too.
  Age(ids[3], 60);
  EXPECT_EQ(scheduler.ReconcilePendingFiles(), 1);
  EXPECT_TRUE(ProbeTasks(*queue_).contains(ids[3]));
  EXPECT_EQ(wakes.size(), 2u);
}

TEST_F(SchedulerTest, ReconcileStopsAtFullQueue) {
  config_.ipc.task_queue.max_size = 2;
  std::vector<int64_t> ids = CatalogueFiles(3);
  for (int64_t id : ids) Age(id, 60);
  Scheduler scheduler(config_, *state_cache_, [](const std::vector<std::string>&) {});
  EXPECT_EQ(scheduler.ReconcilePendingFiles(), 2);
  EXPECT_EQ(ProbeTasks(*queue_).size(), 2u);
  // The third file stays pending in the catalog for a later pass.
  EXPECT_EQ(catalog_->Counts().pending, 3);
}

class QueueWorkSinkTest : public ::testing::Test {
 protected:
  std::unique_ptr<queue::TaskQueue> OpenQueue(size_t max_size) {
    queue::QueueOptions options;
    options.max_size = max_size;
    return std::make_unique<queue::TaskQueue>(temp_ / "task_queue.db", options);
  }

  static std::vector<store::UpsertOutcome> Outcomes(int64_t first_id, int count) {
    std::vector<store::UpsertOutcome> outcomes;
    for (int64_t id = first_id; id < first_id + count; ++id) {
      store::UpsertOutcome outcome;
      outcome.file_id = id;
      outcome.path = "/media/clip_" + std::to_string(id) + ".mp4";
      outcome.directory_id = 7;
      outcome.change = store::FileChange::kAdded;
      outcomes.push_back(outcome);
    }
    return outcomes;
  }

  testing::TempDir temp_;
};

TEST_F(QueueWorkSinkTest, QueuesProbeTasks) {
  auto queue = OpenQueue(100);
  std::vector<int> notified;
  QueueWorkSink sink(*queue, "file_monitor",
                     [&notified](int queued) { notified.push_back(queued); });
  sink.FilesChanged(Outcomes(1, 3));

  EXPECT_EQ(notified, std::vector<int>{3});
  EXPECT_EQ(sink.rejected(), 0);
  std::map<int64_t, queue::TaskRecord> tasks = ProbeTasks(*queue);
  ASSERT_EQ(tasks.size(), 3u);
  for (int64_t id = 1; id <= 3; ++id) {
    const queue::TaskRecord& task = tasks.at(id);
    EXPECT_EQ(task.scope, "dir:7");
    EXPECT_EQ(task.dedupe_key, "probe:" + std::to_string(id));
    EXPECT_EQ(task.sender, "file_monitor");
    EXPECT_EQ(task.file_path, "/media/clip_" + std::to_string(id) + ".mp4");
  }

  // The same files again, while their tasks wait: duplicates, no wake-up.
  sink.FilesChanged(Outcomes(1, 3));
  EXPECT_EQ(notified.size(), 1u);
  EXPECT_EQ(ProbeTasks(*queue).size(), 3u);

  // An empty report queues nothing and wakes no worker.
  sink.FilesChanged({});
  EXPECT_EQ(notified.size(), 1u);
}

TEST_F(QueueWorkSinkTest, FullQueueRejectsWithoutThrowing) {
  auto queue = OpenQueue(2);
  std::vector<int> notified;
  QueueWorkSink sink(*queue, "file_monitor",
                     [&notified](int queued) { notified.push_back(queued); });

  EXPECT_NO_THROW(sink.FilesChanged(Outcomes(1, 3)));
  EXPECT_EQ(sink.rejected(), 1);
  EXPECT_EQ(notified, std::vector<int>{2});
  EXPECT_EQ(ProbeTasks(*queue).size(), 2u);

  EXPECT_NO_THROW(sink.FilesChanged(Outcomes(10, 2)));
  EXPECT_EQ(sink.rejected(), 3);
  EXPECT_EQ(notified.size(), 1u);
  EXPECT_EQ(ProbeTasks(*queue).size(), 2u);
}

}  // namespace
}  // namespace msearch::runtime

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "queue/task_queue.h"
#include "server_fixture.h"
#include "sse_reader.h"

namespace msearch::server {
namespace {

using nlohmann::json;

class EventsTest : public ServerTest {
 protected:
  void SetUp() override {
    PrepareData();
    event_options_.poll_seconds = 0.1;
    event_options_.keepalive_seconds = 0.3;
    event_options_.max_streams = 2;
    StartServer();
  }
};

TEST_F(EventsTest, StreamStartsWithSnapshot) {
  SseReader reader(server_->port());
  ASSERT_TRUE(reader.WaitFor("event: snapshot\n")) << reader.text();
  EXPECT_EQ(reader.status(), 200);
  EXPECT_EQ(reader.content_type(), "text/event-stream");
  EXPECT_EQ(reader.text().rfind("retry: 3000\n", 0), 0u) << reader.text();
  json snapshot = reader.EventData("snapshot");
  ASSERT_TRUE(snapshot.is_object()) << reader.text();
  EXPECT_EQ(snapshot["files"]["total"], 4);
  EXPECT_EQ(snapshot["files"]["indexed"], 1);
  EXPECT_EQ(snapshot["tasks"]["by_status"]["pending"], 2);
  EXPECT_EQ(snapshot["tasks"]["by_status"]["running"], 1);
  ASSERT_EQ(snapshot["directories"].size(), 1u);
  EXPECT_EQ(snapshot["directories"][0]["id"], directory_id_);
  ASSERT_EQ(snapshot["processes"].size(), 2u);
  EXPECT_EQ(snapshot["processes"][1]["id"], "task_worker_0");
}

TEST_F(EventsTest, ChangesArriveAsEvents) {
  SseReader reader(server_->port());
  ASSERT_TRUE(reader.WaitFor("event: snapshot\n")) << reader.text();
  size_t after_snapshot = reader.text().size();

  httplib::Client client = Client();
  auto paused = client.Post("/api/v1/directories/" + std::to_string(directory_id_) + "/pause");
  ASSERT_TRUE(paused);
  ASSERT_EQ(paused->status, 200);
  ASSERT_TRUE(reader.WaitFor("\"state\":\"paused\"")) << reader.text();
  json directory = reader.EventData("directory", after_snapshot);
  ASSERT_TRUE(directory.is_object()) << reader.text();
  EXPECT_EQ(directory["id"], directory_id_);
  EXPECT_EQ(directory["state"], "paused");

  auto cancelled = client.Post("/api/v1/tasks/" + pending_probe_id_ + "/cancel");
  ASSERT_TRUE(cancelled);
  ASSERT_EQ(cancelled->status, 200);
  ASSERT_TRUE(reader.WaitFor("\"cancelled\":1")) << reader.text();
  json tasks = reader.EventData("tasks", after_snapshot);
  ASSERT_TRUE(tasks.is_object());
  EXPECT_EQ(tasks["by_status"]["cancelled"], 1);
  EXPECT_EQ(tasks["by_status"]["pending"], 1);

  {
    store::Catalog catalog = OpenCatalog();
    catalog.SetFileStatus(song_.id, "failed", std::string("cannot decode"));
  }
  ASSERT_TRUE(reader.WaitFor("event: file_changes\n")) << reader.text();
  ASSERT_TRUE(reader.WaitFor("cannot decode")) << reader.text();
  json changes = reader.EventData("file_changes", after_snapshot);
  ASSERT_TRUE(changes.is_object());
  EXPECT_EQ(changes["truncated"], false);
  bool found = false;
  for (const json& file : changes["files"]) {
    if (file["file_uuid"] == song_.uuid) {
      found = true;
      EXPECT_EQ(file["status"], "failed");
    }
  }
  EXPECT_TRUE(found) << changes;

  {
    std::lock_guard lock(hooks_->mutex);
    hooks_->processes[1]["status"] = "crashed";
  }
  ASSERT_TRUE(reader.WaitFor("\"status\":\"crashed\"")) << reader.text();
  json process = reader.EventData("process", after_snapshot);
  EXPECT_EQ(process["id"], "task_worker_0");
}

TEST_F(EventsTest, ProgressOfRunningTask) {
  SseReader reader(server_->port());
  ASSERT_TRUE(reader.WaitFor("event: snapshot\n"));
  {
    queue::QueueOptions options;
    queue::TaskQueue queue(config_.ipc.task_queue.path, options);
    ASSERT_TRUE(queue.Progress(running_id_, "test-worker", 0.75));
  }
  ASSERT_TRUE(reader.WaitFor("event: task_progress\n")) << reader.text();
  ASSERT_TRUE(reader.WaitFor("\"progress\":0.75")) << reader.text();
  json progress = reader.EventData("task_progress");
  EXPECT_EQ(progress["task_id"], running_id_);
  EXPECT_EQ(progress["status"], "running");
}

TEST_F(EventsTest, KeepAliveComments) {
  SseReader reader(server_->port());
  ASSERT_TRUE(reader.WaitFor(": keep-alive\n\n")) << reader.text();
}

TEST_F(EventsTest, StreamsOverCapGet503) {
  SseReader first(server_->port());
  SseReader second(server_->port());
  ASSERT_TRUE(first.WaitFor("event: snapshot\n"));
  ASSERT_TRUE(second.WaitFor("event: snapshot\n"));
  httplib::Client client = Client();
  auto third = client.Get("/api/v1/events");
  ExpectError(third, 503, "third stream");
  ASSERT_TRUE(third);
  EXPECT_EQ(third->get_header_value("Retry-After"), "5");
  // Streams do not take the threads of other requests.
  auto tasks = client.Get("/api/v1/tasks");
  ASSERT_TRUE(tasks);
  EXPECT_EQ(tasks->status, 200);
}

TEST_F(EventsTest, SlotFreedWhenClientLeaves) {
  {
    SseReader first(server_->port());
    SseReader second(server_->port());
    ASSERT_TRUE(first.WaitFor("event: snapshot\n"));
    ASSERT_TRUE(second.WaitFor("event: snapshot\n"));
  }
  // The server notices a closed connection at its next write, a keep-alive
  // at the latest. Until then the slot is taken.
  bool reopened = false;
  for (int attempt = 0; attempt < 300 && !reopened; ++attempt) {
    SseReader again(server_->port());
    reopened = again.WaitFor("event: snapshot\n", 1.0);
  }
  EXPECT_TRUE(reopened);
}

TEST_F(EventsTest, ServerStopEndsStream) {
  SseReader reader(server_->port());
  ASSERT_TRUE(reader.WaitFor("event: snapshot\n"));
  server_->Stop();
  ASSERT_TRUE(reader.WaitForEnd()) << reader.text();
  EXPECT_NE(reader.text().find("event: shutdown\n"), std::string::npos) << reader.text();
}

TEST_F(EventsTest, PublishReachesStreams) {
  SseReader reader(server_->port());
  ASSERT_TRUE(reader.WaitFor("event: snapshot\n"));
  server_->Publish("custom", {{"value", 42}});
  ASSERT_TRUE(reader.WaitFor("event: custom\n")) << reader.text();
  EXPECT_EQ(reader.EventData("custom")["value"], 42);
}

TEST_F(EventsTest, LastEventIdReplaysMissedEvents) {
  server_->Publish("custom", {{"n", 1}});
  server_->Publish("custom", {{"n", 2}});
  SseReader reader(server_->port(), {{"Last-Event-ID", "1"}});
  ASSERT_TRUE(reader.WaitFor("\"n\":2")) << reader.text();
  EXPECT_EQ(reader.text().find("\"n\":1"), std::string::npos) << reader.text();
  SseReader fresh(server_->port(), {{"Last-Event-ID", "999"}});
  ASSERT_TRUE(fresh.WaitFor(": keep-alive")) << fresh.text();
  EXPECT_EQ(fresh.text().find("\"n\":"), std::string::npos)
      << "an id the server never issued replays nothing";
}

}  // namespace
}  // namespace msearch::server

#include "server_fixture.h"

#include <fstream>

#include <sys/stat.h>

#include "common/clock.h"
#include "common/logging.h"
#include "queue/task_queue.h"

namespace msearch::server {
namespace {

void WriteFile(const std::filesystem::path& path, const std::string& content) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream output(path, std::ios::binary);
  output << content;
}

store::FileObservation Observe(int64_t directory_id, const std::filesystem::path& path,
                               const std::string& kind) {
  struct stat info {};
  EXPECT_EQ(stat(path.c_str(), &info), 0) << path;
  store::FileObservation observation;
  observation.directory_id = directory_id;
  observation.path = path.string();
  observation.kind = kind;
  observation.size = static_cast<uint64_t>(info.st_size);
  observation.mtime_ns =
      static_cast<int64_t>(info.st_mtim.tv_sec) * 1000000000 + info.st_mtim.tv_nsec;
  observation.inode = info.st_ino;
  observation.device = info.st_dev;
  return observation;
}

// The "api" logger is created once per process, so all tests share one log folder.
void InitTestLogging() {
  static std::once_flag once;
  std::call_once(once, [] {
    LoggingOptions options;
    options.log_dir = TestLogDir();
    options.level = "debug";
    InitLogging(options, "server_test", "server_test.log");
  });
}

queue::QueueOptions QueueOptionsFor(const config::Config& config) {
  queue::QueueOptions options;
  options.global_running_limit = config.ipc.task_queue.max_running;
  return options;
}

}  // namespace

const std::filesystem::path& TestLogDir() {
  static testing::TempDir log_dir;
  return log_dir.path();
}

ServerHooks MakeHooks(const std::shared_ptr<HookRecord>& record) {
  ServerHooks hooks;
  hooks.process_status = [record] {
    std::lock_guard lock(record->mutex);
    return record->processes;
  };
  hooks.directories_changed = [record] {
    std::lock_guard lock(record->mutex);
    ++record->directories_changed;
  };
  hooks.work_queued = [record](const std::vector<std::string>& types) {
    std::lock_guard lock(record->mutex);
    record->work_queued.push_back(types);
  };
  hooks.rescan_requested = [record](std::optional<int64_t> directory_id) {
    std::lock_guard lock(record->mutex);
    record->rescans.push_back(directory_id);
  };
  // The same task the runtime's MakeProbeTask builds.
  hooks.make_probe_task = [](int64_t file_id, const std::string& path, int64_t directory_id) {
    queue::NewTask task;
    task.type = "probe";
    task.data = {{"file_id", file_id}};
    task.dedupe_key = "probe:" + std::to_string(file_id);
    task.scope = "dir:" + std::to_string(directory_id);
    task.sender = "api";
    task.file_path = path;
    return task;
  };
  hooks.files_removed = [record](const std::vector<int64_t>& file_ids) {
    std::lock_guard lock(record->mutex);
    record->files_removed.push_back(file_ids);
  };
  hooks.index_status = [record] {
    std::lock_guard lock(record->mutex);
    return record->index_status;
  };
  hooks.query_models_loaded = [record] {
    std::lock_guard lock(record->mutex);
    return record->query_models_loaded;
  };
  return hooks;
}

void ServerTest::SetUp() {
  PrepareData();
  StartServer();
}

void ServerTest::TearDown() {
  if (server_) server_->Stop();
}

void ServerTest::PrepareData() {
  InitTestLogging();
  std::filesystem::path data = temp_ / "data";
  config_.base_dir = temp_.path();
  config_.storage.data_dir = data;
  config_.storage.catalog_path = data / "catalog.db";
  config_.storage.thumbnail_dir = data / "thumbnails";
  config_.ipc.task_queue.path = data / "task_queue.db";
  config_.api.host = "127.0.0.1";
  config_.api.port = 0;
  config_.api.threads = 2;
  config_.processes.file_monitor.supported_extensions = {".jpg", ".mp4", ".mp3", ".wav"};
  hooks_->processes = nlohmann::json::array({
      {{"id", "main"},
       {"type", "main"},
       {"status", "running"},
       {"pid", 100},
       {"uptime", 12.5},
       {"restarts", 0},
       {"rss", 1000}},
      {{"id", "task_worker_0"},
       {"type", "task_worker"},
       {"status", "running"},
       {"pid", 101},
       {"uptime", 12.0},
       {"restarts", 1},
       {"rss", 2000}},
  });

  media_dir_ = temp_ / "media";
  secret_file_ = temp_ / "secret.txt";
  WriteFile(secret_file_, "SECRET-CONTENT");
  photo_.path = media_dir_ / "sunset_beach.jpg";
  song_.path = media_dir_ / "项目会议记录_北京.mp3";
  clip_.path = media_dir_ / "holiday clip.mp4";
  voice_.path = media_dir_ / "voice_memo.wav";
  WriteFile(photo_.path, "photo bytes");
  WriteFile(song_.path, "song bytes");
  WriteFile(clip_.path, "clip bytes");
  WriteFile(voice_.path, "voice bytes");

  store::Catalog catalog = OpenCatalog();
  directory_id_ = catalog.AddDirectory(media_dir_, true, true).id;
  std::vector<store::FileObservation> observations = {
      Observe(directory_id_, photo_.path, "image"), Observe(directory_id_, song_.path, "audio"),
      Observe(directory_id_, clip_.path, "video"), Observe(directory_id_, voice_.path, "audio")};
  std::vector<store::UpsertOutcome> outcomes = catalog.UpsertFiles(observations);
  ASSERT_EQ(outcomes.size(), 4u);
  CataloguedFile* files[] = {&photo_, &song_, &clip_, &voice_};
  for (size_t i = 0; i < outcomes.size(); ++i) {
    files[i]->id = outcomes[i].file_id;
    files[i]->uuid = outcomes[i].uuid;
  }

  store::MediaInfo info;
  info.kind = "image";
  info.format = "jpeg";
  info.width = 640;
  info.height = 480;
  info.stored_width = 640;
  info.stored_height = 480;
  info.tags = {{"title", "Golden hour"}};
  ASSERT_TRUE(catalog.StoreProbeResult(photo_.id, observations[0].size, observations[0].mtime_ns,
                                       info, std::string("hash-photo")));

  photo_thumbnail_bytes_ = std::string("\xFF\xD8\xFF\xE0thumbnail", 13);
  std::filesystem::path thumbnail = config_.storage.thumbnail_dir / (photo_.uuid + ".jpg");
  WriteFile(thumbnail, photo_thumbnail_bytes_);
  catalog.SetThumbnail(photo_.id, thumbnail.string());
  std::filesystem::path link = config_.storage.thumbnail_dir / "link.jpg";
  std::filesystem::create_symlink(secret_file_, link);
  catalog.SetThumbnail(clip_.id, link.string());
  catalog.SetThumbnail(voice_.id, std::string("../../secret.txt"));

  queue::TaskQueue queue(config_.ipc.task_queue.path, QueueOptionsFor(config_));
  auto enqueue = [&queue](const std::string& type, int priority,
                          const std::filesystem::path& file) {
    queue::NewTask task;
    task.type = type;
    task.priority = priority;
    task.file_path = file.string();
    task.data = {{"file", file.string()}};
    task.sender = "test";
    task.tags = {"test"};
    queue::EnqueueResult result = queue.Enqueue(task);
    EXPECT_EQ(result.outcome, queue::EnqueueOutcome::kEnqueued);
    return result.task_id;
  };
  std::vector<std::string> probe_type = {"probe"};
  std::vector<std::string> embed_type = {"embed"};

  completed_id_ = enqueue("probe", 0, photo_.path);
  ASSERT_EQ(queue.Claim("test-worker", probe_type, 1).size(), 1u);
  ASSERT_TRUE(queue.Complete(completed_id_, "test-worker", {{"width", 640}}));

  failed_id_ = enqueue("embed", 0, photo_.path);
  ASSERT_EQ(queue.Claim("test-worker", embed_type, 1).size(), 1u);
  ASSERT_TRUE(queue.Fail(failed_id_, "test-worker", "model missing", false));

  running_id_ = enqueue("probe", 0, song_.path);
  ASSERT_EQ(queue.Claim("test-worker", probe_type, 1).size(), 1u);
  ASSERT_TRUE(queue.Progress(running_id_, "test-worker", 0.25));

  pending_probe_id_ = enqueue("probe", 6, clip_.path);
  pending_thumbnail_id_ = enqueue("thumbnail", 9, clip_.path);
}

void ServerTest::StartServer() {
  server_ = std::make_unique<ApiServer>(config_, MakeHooks(hooks_));
  server_->SetEventStreamOptions(event_options_);
  server_->Start();
  ASSERT_GT(server_->port(), 0);
}

httplib::Client ServerTest::Client() const { return ClientFor(server_->port()); }

httplib::Client ServerTest::ClientFor(int port) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(30);
  client.set_read_timeout(60);
  client.set_write_timeout(60);
  return client;
}

store::Catalog ServerTest::OpenCatalog() const {
  return store::Catalog(config_.storage.catalog_path);
}

nlohmann::json JsonBody(const httplib::Result& result) {
  if (!result) {
    ADD_FAILURE() << "no response: " << httplib::to_string(result.error());
    return nullptr;
  }
  nlohmann::json body = nlohmann::json::parse(result->body, nullptr, false);
  EXPECT_FALSE(body.is_discarded()) << "not JSON: " << result->body;
  EXPECT_EQ(result->get_header_value("Content-Type"), "application/json");
  return body;
}

void ExpectError(const httplib::Result& result, int status, const std::string& context) {
  SCOPED_TRACE(context);
  ASSERT_TRUE(result) << "no response: " << httplib::to_string(result.error());
  EXPECT_EQ(result->status, status) << result->body;
  nlohmann::json body = JsonBody(result);
  ASSERT_TRUE(body.is_object()) << result->body;
  ASSERT_TRUE(body.contains("error")) << result->body;
  EXPECT_TRUE(body["error"].is_string());
  ASSERT_TRUE(body.contains("message"));
  ASSERT_TRUE(body["message"].is_string());
  EXPECT_FALSE(body["message"].get<std::string>().empty());
  EXPECT_TRUE(body.contains("detail"));
  ExpectIso8601(body["timestamp"], "timestamp");
}

void ExpectIso8601(const nlohmann::json& value, const std::string& field) {
  ASSERT_TRUE(value.is_string()) << field << " is " << value;
  const std::string& text = value.get_ref<const std::string&>();
  ASSERT_EQ(text.size(), 24u) << field << " = " << text;
  EXPECT_EQ(text[4], '-') << text;
  EXPECT_EQ(text[10], 'T') << text;
  EXPECT_EQ(text.back(), 'Z') << text;
}

}  // namespace msearch::server

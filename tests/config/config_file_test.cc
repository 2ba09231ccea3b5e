#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "config/config_loader.h"
#include "config/test_env.h"
#include "support/temp_dir.h"

namespace msearch::config {
namespace {

using testing::ScopedEnv;

const std::filesystem::path kSourceDir = MSEARCH_SOURCE_DIR;
const std::filesystem::path kShippedFile = kSourceDir / "config" / "config.yml";

// Compares every field except `source`, which only a loaded file sets.
void ExpectSameConfig(const Config& actual, const Config& expected) {
  EXPECT_EQ(actual.base_dir, expected.base_dir);

  const auto& monitor = actual.processes.file_monitor;
  const auto& expected_monitor = expected.processes.file_monitor;
  EXPECT_EQ(monitor.watched_dirs, expected_monitor.watched_dirs);
  EXPECT_EQ(monitor.supported_extensions, expected_monitor.supported_extensions);
  EXPECT_EQ(monitor.ignore_patterns, expected_monitor.ignore_patterns);
  EXPECT_EQ(monitor.recursive, expected_monitor.recursive);
  EXPECT_EQ(monitor.scan_interval, expected_monitor.scan_interval);
  EXPECT_EQ(monitor.debounce_ms, expected_monitor.debounce_ms);

  const auto& embedding = actual.processes.embedding_worker;
  EXPECT_EQ(embedding.device, expected.processes.embedding_worker.device);
  EXPECT_EQ(embedding.batch_size, expected.processes.embedding_worker.batch_size);
  EXPECT_EQ(embedding.num_instances, expected.processes.embedding_worker.num_instances);
  EXPECT_EQ(embedding.memory_limit_mb, expected.processes.embedding_worker.memory_limit_mb);
  const auto& task = actual.processes.task_worker;
  const auto& expected_task = expected.processes.task_worker;
  EXPECT_EQ(task.num_instances, expected_task.num_instances);
  EXPECT_EQ(task.task_timeout, expected_task.task_timeout);
  EXPECT_EQ(task.task_cpu_limit, expected_task.task_cpu_limit);
  EXPECT_EQ(task.memory_limit_mb, expected_task.memory_limit_mb);

  const auto& queue = actual.ipc.task_queue;
  const auto& expected_queue = expected.ipc.task_queue;
  EXPECT_EQ(queue.path, expected_queue.path);
  EXPECT_EQ(queue.max_size, expected_queue.max_size);
  EXPECT_EQ(queue.auto_commit, expected_queue.auto_commit);
  EXPECT_EQ(queue.lease_seconds, expected_queue.lease_seconds);
  EXPECT_EQ(queue.max_attempts, expected_queue.max_attempts);
  EXPECT_EQ(queue.retry_base_seconds, expected_queue.retry_base_seconds);
  EXPECT_EQ(queue.retry_max_seconds, expected_queue.retry_max_seconds);
  EXPECT_EQ(queue.max_running, expected_queue.max_running);
  EXPECT_EQ(queue.type_limits, expected_queue.type_limits);

  EXPECT_EQ(actual.ipc.state_cache.path, expected.ipc.state_cache.path);
  EXPECT_EQ(actual.ipc.state_cache.memory_capacity, expected.ipc.state_cache.memory_capacity);
  EXPECT_EQ(actual.ipc.state_cache.cleanup_interval, expected.ipc.state_cache.cleanup_interval);
  EXPECT_EQ(actual.ipc.local_ipc.socket_path, expected.ipc.local_ipc.socket_path);
  EXPECT_EQ(actual.ipc.local_ipc.timeout, expected.ipc.local_ipc.timeout);
  EXPECT_EQ(actual.ipc.local_ipc.max_message_bytes, expected.ipc.local_ipc.max_message_bytes);

  EXPECT_EQ(actual.api.host, expected.api.host);
  EXPECT_EQ(actual.api.port, expected.api.port);
  EXPECT_EQ(actual.api.token, expected.api.token);
  EXPECT_EQ(actual.api.threads, expected.api.threads);

  EXPECT_EQ(actual.storage.data_dir, expected.storage.data_dir);
  EXPECT_EQ(actual.storage.catalog_path, expected.storage.catalog_path);
  EXPECT_EQ(actual.storage.thumbnail_dir, expected.storage.thumbnail_dir);

  EXPECT_EQ(actual.logging.dir, expected.logging.dir);
  EXPECT_EQ(actual.logging.level, expected.logging.level);
  EXPECT_EQ(actual.logging.max_file_mb, expected.logging.max_file_mb);
  EXPECT_EQ(actual.logging.max_files, expected.logging.max_files);

  const auto& supervisor = actual.supervisor;
  const auto& expected_supervisor = expected.supervisor;
  EXPECT_EQ(supervisor.heartbeat_interval, expected_supervisor.heartbeat_interval);
  EXPECT_EQ(supervisor.heartbeat_timeout, expected_supervisor.heartbeat_timeout);
  EXPECT_EQ(supervisor.restart_backoff_initial, expected_supervisor.restart_backoff_initial);
  EXPECT_EQ(supervisor.restart_backoff_max, expected_supervisor.restart_backoff_max);
  EXPECT_EQ(supervisor.max_restarts, expected_supervisor.max_restarts);
  EXPECT_EQ(supervisor.restart_window, expected_supervisor.restart_window);
  EXPECT_EQ(supervisor.shutdown_timeout, expected_supervisor.shutdown_timeout);

  EXPECT_EQ(actual.media.thumbnail_size, expected.media.thumbnail_size);
  EXPECT_EQ(actual.media.max_image_megapixels, expected.media.max_image_megapixels);
  const auto& video = actual.media.video;
  const auto& expected_video = expected.media.video;
  EXPECT_EQ(video.min_segment_s, expected_video.min_segment_s);
  EXPECT_EQ(video.max_segment_s, expected_video.max_segment_s);
  EXPECT_EQ(video.single_segment_max_s, expected_video.single_segment_max_s);
  EXPECT_EQ(video.frames_per_segment, expected_video.frames_per_segment);
  EXPECT_EQ(video.frame_size, expected_video.frame_size);
  EXPECT_EQ(video.decode_threads, expected_video.decode_threads);
  const auto& audio = actual.media.audio;
  const auto& expected_audio = expected.media.audio;
  EXPECT_EQ(audio.window_s, expected_audio.window_s);
  EXPECT_EQ(audio.hop_s, expected_audio.hop_s);
  EXPECT_EQ(audio.min_duration_s, expected_audio.min_duration_s);
  EXPECT_EQ(audio.fingerprints, expected_audio.fingerprints);
  EXPECT_EQ(actual.media.ocr.enabled, expected.media.ocr.enabled);
  EXPECT_EQ(actual.media.ocr.languages, expected.media.ocr.languages);
}

TEST(ShippedConfig, LoadsAndEqualsDefaults) {
  ScopedEnv home("MSEARCH_HOME", std::nullopt);
  Config config = LoadConfigFile(kShippedFile);
  EXPECT_EQ(config.source, std::filesystem::absolute(kShippedFile));
  EXPECT_EQ(config.base_dir, kSourceDir);
  ExpectSameConfig(config, DefaultConfig(kSourceDir));
}

TEST(ShippedConfig, FirstStartValues) {
  ScopedEnv home("MSEARCH_HOME", std::nullopt);
  Config config = LoadConfigFile(kShippedFile);
  ASSERT_EQ(config.processes.file_monitor.watched_dirs.size(), 1u);
  EXPECT_EQ(config.processes.file_monitor.watched_dirs[0], kSourceDir / "samples");
  EXPECT_EQ(config.storage.data_dir, kSourceDir / "data");
  EXPECT_EQ(config.ipc.task_queue.path, kSourceDir / "data" / "task_queue.db");
  EXPECT_EQ(config.ipc.state_cache.path, kSourceDir / "data" / "state_cache.db");
  EXPECT_EQ(config.storage.catalog_path, kSourceDir / "data" / "catalog.db");
  EXPECT_EQ(config.logging.dir, kSourceDir / "logs");
  EXPECT_TRUE(config.ipc.local_ipc.socket_path.empty());
  EXPECT_EQ(config.api.host, "127.0.0.1");
  EXPECT_TRUE(config.api.token.empty());
}

TEST(ShippedConfig, KeepsDesignKeyNames) {
  // The processes and ipc sections keep the structure and key names that
  // existing deployments use, written out rather than left to defaults.
  YAML::Node root = YAML::LoadFile(kShippedFile.string());
  const std::vector<std::vector<std::string>> keys = {
      {"processes", "file_monitor", "watched_dirs"},
      {"processes", "file_monitor", "supported_extensions"},
      {"processes", "file_monitor", "recursive"},
      {"processes", "file_monitor", "scan_interval"},
      {"processes", "embedding_worker", "device"},
      {"processes", "embedding_worker", "batch_size"},
      {"processes", "embedding_worker", "num_instances"},
      {"processes", "task_worker", "num_instances"},
      {"ipc", "task_queue", "path"},
      {"ipc", "task_queue", "max_size"},
      {"ipc", "task_queue", "auto_commit"},
      {"ipc", "state_cache", "path"},
      {"ipc", "state_cache", "memory_capacity"},
      {"ipc", "state_cache", "cleanup_interval"},
      {"ipc", "local_ipc", "socket_path"},
      {"ipc", "local_ipc", "timeout"},
  };
  for (const auto& key : keys) {
    YAML::Node node = root;
    std::string dotted;
    for (const std::string& part : key) {
      dotted += (dotted.empty() ? "" : ".") + part;
      node.reset(node[part]);
      ASSERT_TRUE(node.IsDefined()) << dotted << " missing from " << kShippedFile;
    }
  }
}

TEST(ParseConfig, EmptyTextGivesDefaults) {
  Config config = ParseConfig("", "empty.yml", "/base");
  EXPECT_EQ(config.source, "empty.yml");
  ExpectSameConfig(config, DefaultConfig("/base"));
  Config comments_only = ParseConfig("# nothing set\n", "comments.yml", "/base");
  ExpectSameConfig(comments_only, DefaultConfig("/base"));
}

TEST(ParseConfig, EmptySectionGivesDefaults) {
  Config config = ParseConfig("processes:\nipc:\n  task_queue:\n", "test.yml", "/base");
  ExpectSameConfig(config, DefaultConfig("/base"));
}

TEST(ParseConfig, ReadsEveryKey) {
  // Each key gets a value different from its default, so a key read into
  // the wrong field or not read at all shows up.
  const std::string yaml = R"yaml(
processes:
  file_monitor:
    watched_dirs: ["/m/one", "two"]
    supported_extensions: [".jpg"]
    ignore_patterns: ["*.bak"]
    recursive: false
    scan_interval: 60
    debounce_ms: 250
  embedding_worker:
    device: cuda
    batch_size: 32
    num_instances: 3
    memory_limit_mb: 2048
  task_worker:
    num_instances: 5
    task_timeout: 120
    task_cpu_limit: 90
    memory_limit_mb: 1024
ipc:
  task_queue:
    path: q/queue.db
    max_size: 500
    auto_commit: false
    lease_seconds: 90
    max_attempts: 7
    retry_base_seconds: 0.25
    retry_max_seconds: 40
    max_running: 9
    type_limits:
      embed: 1
  state_cache:
    path: /abs/state.db
    memory_capacity: 77
    cleanup_interval: 100
  local_ipc:
    socket_path: run/msearch.sock
    timeout: 12
    max_message_bytes: 4096
api:
  host: localhost
  port: 9001
  token: secret
  threads: 2
storage:
  data_dir: store
  catalog_path: store/cat.db
  thumbnail_dir: /thumbs
logging:
  dir: /var/log/msearch
  level: debug
  max_file_mb: 3
  max_files: 2
supervisor:
  heartbeat_interval: 0.5
  heartbeat_timeout: 4
  restart_backoff_initial: 1.5
  restart_backoff_max: 20
  max_restarts: 9
  restart_window: 60
  shutdown_timeout: 2.5
media:
  thumbnail_size: 256
  max_image_megapixels: 50
  video:
    min_segment_s: 2
    max_segment_s: 20
    single_segment_max_s: 4
    frames_per_segment: 2
    frame_size: 336
    decode_threads: 5
  audio:
    window_s: 7
    hop_s: 5
    min_duration_s: 1.5
    fingerprints: false
  ocr:
    enabled: false
    languages: [eng, deu]
)yaml";
  Config config = ParseConfig(yaml, "all.yml", "/base");
  const auto& monitor = config.processes.file_monitor;
  EXPECT_EQ(monitor.watched_dirs, (std::vector<std::filesystem::path>{"/m/one", "/base/two"}));
  EXPECT_EQ(monitor.supported_extensions, std::vector<std::string>{".jpg"});
  EXPECT_EQ(monitor.ignore_patterns, std::vector<std::string>{"*.bak"});
  EXPECT_FALSE(monitor.recursive);
  EXPECT_EQ(monitor.scan_interval, 60);
  EXPECT_EQ(monitor.debounce_ms, 250);
  EXPECT_EQ(config.processes.embedding_worker.device, "cuda");
  EXPECT_EQ(config.processes.embedding_worker.batch_size, 32);
  EXPECT_EQ(config.processes.embedding_worker.num_instances, 3);
  EXPECT_EQ(config.processes.task_worker.num_instances, 5);
  EXPECT_EQ(config.processes.task_worker.task_timeout, 120);
  EXPECT_EQ(config.processes.task_worker.task_cpu_limit, 90);
  EXPECT_EQ(config.processes.task_worker.memory_limit_mb, 1024);
  EXPECT_EQ(config.processes.embedding_worker.memory_limit_mb, 2048);

  const auto& queue = config.ipc.task_queue;
  EXPECT_EQ(queue.path, "/base/q/queue.db");
  EXPECT_EQ(queue.max_size, 500);
  EXPECT_FALSE(queue.auto_commit);
  EXPECT_EQ(queue.lease_seconds, 90);
  EXPECT_EQ(queue.max_attempts, 7);
  EXPECT_DOUBLE_EQ(queue.retry_base_seconds, 0.25);
  EXPECT_DOUBLE_EQ(queue.retry_max_seconds, 40);
  EXPECT_EQ(queue.max_running, 9);
  // Entries merge into the default limits rather than replacing them.
  EXPECT_EQ(queue.type_limits.at("embed"), 1);
  EXPECT_EQ(queue.type_limits.at("probe"), 2);
  EXPECT_EQ(config.ipc.state_cache.path, "/abs/state.db");
  EXPECT_EQ(config.ipc.state_cache.memory_capacity, 77);
  EXPECT_EQ(config.ipc.state_cache.cleanup_interval, 100);
  EXPECT_EQ(config.ipc.local_ipc.socket_path, "/base/run/msearch.sock");
  EXPECT_EQ(config.ipc.local_ipc.timeout, 12);
  EXPECT_EQ(config.ipc.local_ipc.max_message_bytes, 4096);

  EXPECT_EQ(config.api.host, "localhost");
  EXPECT_EQ(config.api.port, 9001);
  EXPECT_EQ(config.api.token, "secret");
  EXPECT_EQ(config.api.threads, 2);
  EXPECT_EQ(config.storage.data_dir, "/base/store");
  EXPECT_EQ(config.storage.catalog_path, "/base/store/cat.db");
  EXPECT_EQ(config.storage.thumbnail_dir, "/thumbs");
  EXPECT_EQ(config.logging.dir, "/var/log/msearch");
  EXPECT_EQ(config.logging.level, "debug");
  EXPECT_EQ(config.logging.max_file_mb, 3);
  EXPECT_EQ(config.logging.max_files, 2);

  const auto& supervisor = config.supervisor;
  EXPECT_DOUBLE_EQ(supervisor.heartbeat_interval, 0.5);
  EXPECT_DOUBLE_EQ(supervisor.heartbeat_timeout, 4);
  EXPECT_DOUBLE_EQ(supervisor.restart_backoff_initial, 1.5);
  EXPECT_DOUBLE_EQ(supervisor.restart_backoff_max, 20);
  EXPECT_EQ(supervisor.max_restarts, 9);
  EXPECT_DOUBLE_EQ(supervisor.restart_window, 60);
  EXPECT_DOUBLE_EQ(supervisor.shutdown_timeout, 2.5);
  EXPECT_EQ(config.media.thumbnail_size, 256);
  EXPECT_EQ(config.media.max_image_megapixels, 50);
  EXPECT_DOUBLE_EQ(config.media.video.min_segment_s, 2);
  EXPECT_DOUBLE_EQ(config.media.video.max_segment_s, 20);
  EXPECT_DOUBLE_EQ(config.media.video.single_segment_max_s, 4);
  EXPECT_EQ(config.media.video.frames_per_segment, 2);
  EXPECT_EQ(config.media.video.frame_size, 336);
  EXPECT_EQ(config.media.video.decode_threads, 5);
  EXPECT_DOUBLE_EQ(config.media.audio.window_s, 7);
  EXPECT_DOUBLE_EQ(config.media.audio.hop_s, 5);
  EXPECT_DOUBLE_EQ(config.media.audio.min_duration_s, 1.5);
  EXPECT_FALSE(config.media.audio.fingerprints);
  EXPECT_FALSE(config.media.ocr.enabled);
  EXPECT_EQ(config.media.ocr.languages, (std::vector<std::string>{"eng", "deu"}));
}

TEST(ParseConfig, ExtensionsNormalized) {
  Config config = ParseConfig(
      "processes:\n  file_monitor:\n    supported_extensions: [JPG, .PNG, mp4, .Flac]\n",
      "test.yml", "/base");
  EXPECT_EQ(config.processes.file_monitor.supported_extensions,
            (std::vector<std::string>{".jpg", ".png", ".mp4", ".flac"}));
}

TEST(ParseConfig, EmptyWatchedDirsClearsDefault) {
  Config config =
      ParseConfig("processes:\n  file_monitor:\n    watched_dirs: []\n", "test.yml", "/base");
  EXPECT_TRUE(config.processes.file_monitor.watched_dirs.empty());
}

TEST(ParseConfig, LoopbackHostsNeedNoToken) {
  for (const std::string host : {"127.0.0.1", "127.0.0.2", "localhost", "::1"}) {
    Config config = ParseConfig("api:\n  host: \"" + host + "\"\n", "test.yml", "/base");
    EXPECT_EQ(config.api.host, host);
  }
}

TEST(ParseConfig, NonLoopbackHostWithToken) {
  Config config =
      ParseConfig("api:\n  host: 0.0.0.0\n  token: s3cret-value\n", "test.yml", "/base");
  EXPECT_EQ(config.api.host, "0.0.0.0");
  EXPECT_EQ(config.api.token, "s3cret-value");
}

}  // namespace
}  // namespace msearch::config

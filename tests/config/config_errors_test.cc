#include <string>

#include <gtest/gtest.h>

#include "config/config_loader.h"
#include "config/test_env.h"
#include "support/temp_dir.h"

namespace msearch::config {
namespace {

using testing::ParseError;

// Checks that `message` contains `part`, printing the whole message if not.
#define EXPECT_MENTIONS(message, part)                                                       \
  EXPECT_NE((message).find(part), std::string::npos) << "missing \"" << (part) << "\" in:\n" \
                                                     << (message)

TEST(ConfigErrors, ValidTextHasNoError) { EXPECT_EQ(ParseError("api:\n  port: 8080\n"), ""); }

TEST(ConfigErrors, UnknownTopLevelKey) {
  std::string message = ParseError("proceses:\n  task_worker:\n    num_instances: 2\n");
  EXPECT_MENTIONS(message, "test.yml");
  EXPECT_MENTIONS(message, "unknown key 'proceses'");
  EXPECT_MENTIONS(message, "did you mean 'processes'?");
}

TEST(ConfigErrors, UnknownNestedKeyNamesFullPath) {
  std::string message = ParseError("processes:\n  task_worker:\n    num_instance: 2\n");
  EXPECT_MENTIONS(message, "unknown key 'processes.task_worker.num_instance'");
  EXPECT_MENTIONS(message, "did you mean 'processes.task_worker.num_instances'?");
}

TEST(ConfigErrors, UnknownKeyFarFromAnyHasNoHint) {
  std::string message = ParseError("ipc:\n  completely_different: 1\n");
  EXPECT_MENTIONS(message, "unknown key 'ipc.completely_different'");
  EXPECT_EQ(message.find("did you mean"), std::string::npos) << message;
}

TEST(ConfigErrors, NonInteger) {
  std::string message = ParseError("processes:\n  task_worker:\n    num_instances: two\n");
  EXPECT_MENTIONS(message, "'processes.task_worker.num_instances'");
  EXPECT_MENTIONS(message, "'two'");
  EXPECT_MENTIONS(message, "expected an integer from 1 to 64");
}

TEST(ConfigErrors, FractionWhereIntegerExpected) {
  std::string message = ParseError("api:\n  port: 80.5\n");
  EXPECT_MENTIONS(message, "'api.port'");
  EXPECT_MENTIONS(message, "'80.5'");
  EXPECT_MENTIONS(message, "an integer from 0 to 65535");
}

TEST(ConfigErrors, IntegerOutOfRange) {
  std::string message = ParseError("processes:\n  embedding_worker:\n    batch_size: 0\n");
  EXPECT_MENTIONS(message, "'processes.embedding_worker.batch_size'");
  EXPECT_MENTIONS(message, "invalid value '0'");
  EXPECT_MENTIONS(message, "an integer from 1 to 1024");

  message = ParseError("api:\n  port: 70000\n");
  EXPECT_MENTIONS(message, "'api.port'");
  EXPECT_MENTIONS(message, "'70000'");
}

TEST(ConfigErrors, IntegerOverflow) {
  std::string message = ParseError("ipc:\n  task_queue:\n    max_size: 99999999999999999999\n");
  EXPECT_MENTIONS(message, "'ipc.task_queue.max_size'");
  EXPECT_MENTIONS(message, "'99999999999999999999'");
}

TEST(ConfigErrors, NumberOutOfRange) {
  std::string message = ParseError("supervisor:\n  heartbeat_interval: 0.01\n");
  EXPECT_MENTIONS(message, "'supervisor.heartbeat_interval'");
  EXPECT_MENTIONS(message, "'0.01'");
  EXPECT_MENTIONS(message, "a number from 0.1 to 600");
}

TEST(ConfigErrors, NotANumber) {
  std::string message = ParseError("supervisor:\n  heartbeat_interval: .nan\n");
  EXPECT_MENTIONS(message, "'supervisor.heartbeat_interval'");
  EXPECT_MENTIONS(message, "'.nan'");
  EXPECT_MENTIONS(message, "a number from 0.1 to 600");

  message = ParseError("supervisor:\n  restart_window: .inf\n");
  EXPECT_MENTIONS(message, "'supervisor.restart_window'");
}

TEST(ConfigErrors, ListWhereScalarExpected) {
  std::string message = ParseError("api:\n  port: [8000, 8001]\n");
  EXPECT_MENTIONS(message, "'api.port'");
  EXPECT_MENTIONS(message, "(a list)");
  EXPECT_MENTIONS(message, "an integer");

  message = ParseError("api:\n  host: [a, b]\n");
  EXPECT_MENTIONS(message, "'api.host'");
  EXPECT_MENTIONS(message, "expected a string");
}

TEST(ConfigErrors, ScalarWhereListExpected) {
  std::string message = ParseError("processes:\n  file_monitor:\n    watched_dirs: /photos\n");
  EXPECT_MENTIONS(message, "'processes.file_monitor.watched_dirs'");
  EXPECT_MENTIONS(message, "'/photos'");
  EXPECT_MENTIONS(message, "a list of strings");
}

TEST(ConfigErrors, ListItemNotString) {
  std::string message =
      ParseError("processes:\n  file_monitor:\n    supported_extensions: [.jpg, [x]]\n");
  EXPECT_MENTIONS(message, "'processes.file_monitor.supported_extensions[1]'");
  EXPECT_MENTIONS(message, "(a list)");
  EXPECT_MENTIONS(message, "a string");
}

TEST(ConfigErrors, SectionNotMapping) {
  std::string message = ParseError("processes: 5\n");
  EXPECT_MENTIONS(message, "'processes'");
  EXPECT_MENTIONS(message, "'5'");
  EXPECT_MENTIONS(message, "a mapping of keys to values");

  message = ParseError("- just\n- a list\n");
  EXPECT_MENTIONS(message, "(top level)");
  EXPECT_MENTIONS(message, "a mapping");
}

TEST(ConfigErrors, BadEnum) {
  std::string message = ParseError("logging:\n  level: loud\n");
  EXPECT_MENTIONS(message, "'logging.level'");
  EXPECT_MENTIONS(message, "'loud'");
  EXPECT_MENTIONS(message, "one of: trace, debug, info, warn, error, critical, off");

  message = ParseError("processes:\n  embedding_worker:\n    device: gpu\n");
  EXPECT_MENTIONS(message, "'processes.embedding_worker.device'");
  EXPECT_MENTIONS(message, "'gpu'");
  EXPECT_MENTIONS(message, "one of: cpu, cuda, auto");
}

TEST(ConfigErrors, BadBool) {
  std::string message = ParseError("processes:\n  file_monitor:\n    recursive: maybe\n");
  EXPECT_MENTIONS(message, "'processes.file_monitor.recursive'");
  EXPECT_MENTIONS(message, "'maybe'");
  EXPECT_MENTIONS(message, "true or false");
}

TEST(ConfigErrors, BadTypeLimit) {
  std::string message = ParseError("ipc:\n  task_queue:\n    type_limits:\n      probe: -1\n");
  EXPECT_MENTIONS(message, "'ipc.task_queue.type_limits.probe'");
  EXPECT_MENTIONS(message, "'-1'");
  EXPECT_MENTIONS(message, "an integer from 0 to 1024");

  message = ParseError("ipc:\n  task_queue:\n    type_limits: [1, 2]\n");
  EXPECT_MENTIONS(message, "'ipc.task_queue.type_limits'");
  EXPECT_MENTIONS(message, "a mapping of task type to an integer");
}

TEST(ConfigErrors, SeveralReportedTogether) {
  std::string message = ParseError(
      "processes:\n"
      "  task_worker:\n"
      "    num_instances: 0\n"
      "logging:\n"
      "  level: loud\n"
      "  colour: red\n"
      "api:\n"
      "  port: http\n");
  EXPECT_MENTIONS(message, "test.yml: 4 configuration errors:");
  EXPECT_MENTIONS(message, "'processes.task_worker.num_instances'");
  EXPECT_MENTIONS(message, "'logging.level'");
  EXPECT_MENTIONS(message, "unknown key 'logging.colour'");
  EXPECT_MENTIONS(message, "'api.port'");
  // One problem per line.
  EXPECT_EQ(std::count(message.begin(), message.end(), '\n'), 4) << message;
}

TEST(ConfigErrors, OneErrorIsSingular) {
  std::string message = ParseError("api:\n  port: http\n");
  EXPECT_MENTIONS(message, "test.yml: 1 configuration error:");
}

TEST(ConfigErrors, InvalidYamlNamesLine) {
  std::string message = ParseError(
      "api:\n"
      "  port: 8000\n"
      "   host: x\n");
  EXPECT_MENTIONS(message, "test.yml");
  EXPECT_MENTIONS(message, "not valid YAML at line 3");

  message = ParseError(
      "api:\n"
      "  port: 8000\n"
      "logging:\n"
      "  level: [info\n"
      "media:\n"
      "  thumbnail_size: 1\n");
  EXPECT_MENTIONS(message, "not valid YAML at line ");
}

TEST(ConfigErrors, NonLoopbackHostNeedsToken) {
  std::string message = ParseError("api:\n  host: 0.0.0.0\n");
  EXPECT_MENTIONS(message, "'api.host'");
  EXPECT_MENTIONS(message, "'0.0.0.0'");
  EXPECT_MENTIONS(message, "'api.token'");

  message = ParseError("api:\n  host: 192.168.1.20\n  token: \"\"\n");
  EXPECT_MENTIONS(message, "'192.168.1.20'");

  message = ParseError("api:\n  host: example.org\n");
  EXPECT_MENTIONS(message, "'example.org'");
}

TEST(ConfigErrors, HeartbeatTimeoutNotAboveInterval) {
  std::string message =
      ParseError("supervisor:\n  heartbeat_interval: 5\n  heartbeat_timeout: 5\n");
  EXPECT_MENTIONS(message, "'supervisor.heartbeat_timeout'");
  EXPECT_MENTIONS(message, "'supervisor.heartbeat_interval'");
  EXPECT_MENTIONS(message, "expected more than");

  message = ParseError("supervisor:\n  heartbeat_interval: 10\n  heartbeat_timeout: 3\n");
  EXPECT_MENTIONS(message, "invalid value '3' for 'supervisor.heartbeat_timeout'");
  EXPECT_MENTIONS(message, "(10)");

  EXPECT_EQ(ParseError("supervisor:\n  heartbeat_interval: 5\n  heartbeat_timeout: 5.5\n"), "");
}

TEST(ConfigErrors, MissingFileNamed) {
  msearch::testing::TempDir dir;
  std::filesystem::path missing = dir / "nope" / "config.yml";
  try {
    LoadConfigFile(missing);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& error) {
    std::string message = error.what();
    EXPECT_MENTIONS(message, missing.string());
    EXPECT_MENTIONS(message, "cannot read configuration file");
  }
}

TEST(ConfigErrors, DirectoryRejected) {
  msearch::testing::TempDir dir;
  try {
    LoadConfigFile(dir.path());
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& error) {
    std::string message = error.what();
    EXPECT_MENTIONS(message, dir.path().string());
    EXPECT_MENTIONS(message, "is a directory");
  }
}

TEST(ConfigErrors, LoadedFileNamedInMessage) {
  msearch::testing::TempDir dir;
  testing::ScopedEnv home("MSEARCH_HOME", std::nullopt);
  std::filesystem::path file = dir / "config" / "config.yml";
  testing::WriteFile(file, "logging:\n  level: loud\n");
  try {
    LoadConfigFile(file);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& error) {
    std::string message = error.what();
    EXPECT_EQ(message.rfind(file.string() + ": ", 0), 0u) << message;
  }
}

TEST(ConfigErrors, IsMsearchError) {
  try {
    ParseConfig("api: {port: x}\n", "test.yml", "/base");
    FAIL() << "expected ConfigError";
  } catch (const Error& error) {
    EXPECT_MENTIONS(std::string(error.what()), "'api.port'");
  }
}

TEST(ConfigErrors, SegmentLengthsMustLeaveRoom) {
  std::string message =
      ParseError("media:\n  video:\n    min_segment_s: 10\n    max_segment_s: 15\n");
  EXPECT_MENTIONS(message, "'media.video.max_segment_s'");
  EXPECT_MENTIONS(message, "at least twice 'media.video.min_segment_s' (10)");
}

TEST(ConfigErrors, AudioHopLongerThanWindow) {
  std::string message = ParseError("media:\n  audio:\n    window_s: 5\n    hop_s: 8\n");
  EXPECT_MENTIONS(message, "'media.audio.hop_s'");
  EXPECT_MENTIONS(message, "at most 'media.audio.window_s' (5)");
}

TEST(ConfigErrors, MinimumAudioLongerThanWindow) {
  std::string message =
      ParseError("media:\n  audio:\n    window_s: 10\n    min_duration_s: 20\n");
  EXPECT_MENTIONS(message, "'media.audio.min_duration_s'");
  EXPECT_MENTIONS(message, "at most 'media.audio.window_s' (10)");
}

TEST(ConfigErrors, UnknownOcrKeySuggestsNearest) {
  std::string message = ParseError("media:\n  ocr:\n    language: [eng]\n");
  EXPECT_MENTIONS(message, "unknown key 'media.ocr.language'");
  EXPECT_MENTIONS(message, "did you mean 'media.ocr.languages'?");
}

}  // namespace
}  // namespace msearch::config

#include "ipc/protocol.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "ipc/message.h"

namespace msearch::ipc {
namespace {

using nlohmann::json;

json RoundTrip(const json& message) {
  FrameDecoder decoder;
  std::string frame = EncodeFrame(message);
  decoder.Feed(frame.data(), frame.size());
  std::optional<json> decoded = decoder.Next();
  EXPECT_TRUE(decoded.has_value());
  return decoded.value_or(json());
}

TEST(Protocol, Register) {
  json message = RoundTrip(MakeRegister("task_worker-1", kProcessTaskWorker, 4242));
  EXPECT_EQ(message["type"], "register");
  EXPECT_EQ(message["process_id"], "task_worker-1");
  EXPECT_EQ(message["process_type"], "task_worker");
  EXPECT_EQ(message["pid"], 4242);
}

TEST(Protocol, HeartbeatOptionalFields) {
  json idle = RoundTrip(MakeHeartbeat("w1", false));
  EXPECT_EQ(idle["type"], "heartbeat");
  EXPECT_EQ(idle["status"], "idle");
  EXPECT_FALSE(idle.contains("current_task"));
  EXPECT_FALSE(idle.contains("rss_bytes"));

  json busy = RoundTrip(MakeHeartbeat("w1", true, "task-7", 123456789012ull));
  EXPECT_EQ(busy["status"], "busy");
  EXPECT_EQ(busy["current_task"], "task-7");
  EXPECT_EQ(busy["rss_bytes"].get<uint64_t>(), 123456789012ull);
}

TEST(Protocol, ProgressClamps) {
  json message = RoundTrip(MakeProgress("w1", "task-7", 0.25, "decoding"));
  EXPECT_EQ(message["type"], "progress");
  EXPECT_EQ(message["task_id"], "task-7");
  EXPECT_DOUBLE_EQ(message["progress"].get<double>(), 0.25);
  EXPECT_EQ(message["message"], "decoding");

  EXPECT_DOUBLE_EQ(MakeProgress("w1", "t", 1.5)["progress"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(MakeProgress("w1", "t", -2)["progress"].get<double>(), 0.0);
  double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_DOUBLE_EQ(MakeProgress("w1", "t", nan)["progress"].get<double>(), 0.0);
  EXPECT_FALSE(MakeProgress("w1", "t", 0.5).contains("message"));
}

TEST(Protocol, Event) {
  json message = RoundTrip(MakeEvent(kEventFilesChanged, {{"added", 3}, {"deleted", 1}}));
  EXPECT_EQ(message["type"], "event");
  EXPECT_EQ(message["name"], "files_changed");
  EXPECT_EQ(message["data"]["added"], 3);
  EXPECT_EQ(message["data"]["deleted"], 1);
  EXPECT_TRUE(RoundTrip(MakeEvent("x"))["data"].is_object());
}

TEST(Protocol, WakeTaskTypes) {
  json all = RoundTrip(MakeWake());
  EXPECT_EQ(all["type"], "wake");
  EXPECT_FALSE(all.contains("task_types"));

  json some = RoundTrip(MakeWake({"probe", "thumbnail"}));
  EXPECT_EQ(some["task_types"], json::array({"probe", "thumbnail"}));
}

TEST(Protocol, ShutdownAndAck) {
  EXPECT_EQ(RoundTrip(MakeShutdown()), json({{"type", "shutdown"}}));
  json ack = RoundTrip(MakeAck(kTypeRegister));
  EXPECT_EQ(ack["type"], "ack");
  EXPECT_EQ(ack["request_type"], "register");
}

}  // namespace
}  // namespace msearch::ipc

#include "ipc/message.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace msearch::ipc {
namespace {

using nlohmann::json;

// Returns a message whose compact JSON is exactly `size` bytes.
json MessageOfSize(size_t size) {
  json message = {{"type", "t"}, {"pad", ""}};
  size_t base = message.dump().size();
  EXPECT_GE(size, base);
  message["pad"] = std::string(size - base, 'x');
  EXPECT_EQ(message.dump().size(), size);
  return message;
}

std::vector<json> DrainAll(FrameDecoder& decoder) {
  std::vector<json> messages;
  while (std::optional<json> message = decoder.Next()) messages.push_back(*message);
  return messages;
}

void FeedString(FrameDecoder& decoder, const std::string& bytes) {
  decoder.Feed(bytes.data(), bytes.size());
}

// Feeds `bytes` and returns the ProtocolError message that Next() throws, or
// "no error" when none is thrown.
std::string ErrorFor(const std::string& bytes, size_t limit = kDefaultMaxMessageBytes) {
  FrameDecoder decoder(limit);
  FeedString(decoder, bytes);
  try {
    DrainAll(decoder);
  } catch (const ProtocolError& error) {
    EXPECT_TRUE(decoder.failed());
    return error.what();
  }
  return "no error";
}

TEST(FrameDecoder, SplitAtEveryBoundary) {
  std::vector<json> expected = {
      {{"type", "register"}, {"process_id", "w1"}, {"pid", 42}},
      {{"type", "heartbeat"}, {"status", "idle"}, {"text", "multi\nline \"quoted\" \u00e9"}},
      {{"type", "wake"}, {"task_types", {"probe", "thumbnail"}}},
  };
  std::string stream;
  for (const json& message : expected) stream += EncodeFrame(message);

  for (size_t split = 0; split <= stream.size(); ++split) {
    FrameDecoder decoder;
    decoder.Feed(stream.data(), split);
    std::vector<json> received = DrainAll(decoder);
    decoder.Feed(stream.data() + split, stream.size() - split);
    for (json& message : DrainAll(decoder)) received.push_back(std::move(message));
    ASSERT_EQ(received, expected) << "split at byte " << split;
  }
}

TEST(FrameDecoder, RejectsDeepNesting) {
  std::string deep_type =
      R"({"type": )" + std::string(400000, '[') + std::string(400000, ']') + "}\n";
  std::string error = ErrorFor(deep_type, 1 << 21);
  EXPECT_NE(error.find("deeper than"), std::string::npos) << error;

  std::string shallow = R"({"type": "event", "data": )" + std::string(60, '[') +
                        std::string(60, ']') + "}\n";
  EXPECT_EQ(ErrorFor(shallow), "no error");
}

TEST(FrameDecoder, ByteByByte) {
  std::string stream = EncodeFrame({{"type", "a"}, {"n", 1}}) + EncodeFrame({{"type", "b"}});
  FrameDecoder decoder;
  std::vector<json> received;
  for (char byte : stream) {
    decoder.Feed(&byte, 1);
    for (json& message : DrainAll(decoder)) received.push_back(std::move(message));
  }
  ASSERT_EQ(received.size(), 2u);
  EXPECT_EQ(received[0]["type"], "a");
  EXPECT_EQ(received[0]["n"], 1);
  EXPECT_EQ(received[1]["type"], "b");
}

TEST(FrameDecoder, SeveralMessagesInOneChunk) {
  std::string stream;
  for (int i = 0; i < 100; ++i) stream += EncodeFrame({{"type", "progress"}, {"n", i}});
  FrameDecoder decoder;
  FeedString(decoder, stream);
  std::vector<json> received = DrainAll(decoder);
  ASSERT_EQ(received.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(received[i]["n"], i);
  EXPECT_EQ(decoder.partial_bytes(), 0u);
}

TEST(FrameDecoder, WaitsForNewline) {
  FrameDecoder decoder;
  FeedString(decoder, R"({"type":"a"})");
  EXPECT_FALSE(decoder.Next().has_value());
  EXPECT_EQ(decoder.partial_bytes(), 12u);
  FeedString(decoder, "\n");
  std::optional<json> message = decoder.Next();
  ASSERT_TRUE(message.has_value());
  EXPECT_EQ((*message)["type"], "a");
}

TEST(FrameDecoder, SkipsEmptyLines) {
  FrameDecoder decoder;
  FeedString(decoder, "\n\n{\"type\":\"a\"}\n\n");
  std::vector<json> received = DrainAll(decoder);
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0]["type"], "a");
}

TEST(FrameDecoder, AcceptsMessageAtLimit) {
  constexpr size_t kLimit = 200;
  FrameDecoder decoder(kLimit);
  FeedString(decoder, MessageOfSize(kLimit).dump() + "\n");
  std::vector<json> received = DrainAll(decoder);
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].dump().size(), kLimit);
}

TEST(FrameDecoder, RejectsOneByteOverLimit) {
  constexpr size_t kLimit = 200;
  std::string error = ErrorFor(MessageOfSize(kLimit + 1).dump() + "\n", kLimit);
  EXPECT_NE(error.find("200-byte limit"), std::string::npos) << error;
}

TEST(FrameDecoder, RejectsOversizedLineBeforeNewline) {
  constexpr size_t kLimit = 200;
  FrameDecoder decoder(kLimit);
  std::string chunk(150, 'x');
  FeedString(decoder, chunk);
  EXPECT_FALSE(decoder.Next().has_value());
  FeedString(decoder, chunk);
  EXPECT_THROW(decoder.Next(), ProtocolError);
  EXPECT_TRUE(decoder.failed());
  EXPECT_EQ(decoder.partial_bytes(), 0u);
}

TEST(FrameDecoder, HugeChunkIsNotBuffered) {
  FrameDecoder decoder(1024);
  std::string chunk(10 * 1024 * 1024, 'x');
  FeedString(decoder, chunk);
  EXPECT_EQ(decoder.partial_bytes(), 0u);
  EXPECT_THROW(decoder.Next(), ProtocolError);
}

TEST(FrameDecoder, DeliversMessagesBeforeOversizedLine) {
  FrameDecoder decoder(100);
  FeedString(decoder, "{\"type\":\"a\"}\n" + std::string(500, 'x'));
  std::optional<json> first = decoder.Next();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ((*first)["type"], "a");
  EXPECT_THROW(decoder.Next(), ProtocolError);
}

TEST(FrameDecoder, DeliversMessagesBeforeInvalidLine) {
  FrameDecoder decoder;
  FeedString(decoder, "{\"type\":\"a\"}\nnot json\n{\"type\":\"b\"}\n");
  std::optional<json> first = decoder.Next();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ((*first)["type"], "a");
  EXPECT_THROW(decoder.Next(), ProtocolError);
}

TEST(FrameDecoder, StaysFailedAfterError) {
  FrameDecoder decoder;
  FeedString(decoder, "not json\n");
  EXPECT_THROW(decoder.Next(), ProtocolError);
  FeedString(decoder, "{\"type\":\"a\"}\n");
  EXPECT_THROW(decoder.Next(), ProtocolError);
  EXPECT_TRUE(decoder.failed());
}

TEST(FrameDecoder, RejectsInvalidJson) {
  for (const char* line : {"not json\n", "{\"type\":\"a\"\n", "{\"type\":\"a\"} trailing\n",
                           "{'type':'a'}\n", "{\"type\":\"a\",}\n"}) {
    std::string error = ErrorFor(line);
    EXPECT_NE(error.find("invalid JSON"), std::string::npos) << line << ": " << error;
  }
}

TEST(FrameDecoder, RejectsNonObject) {
  for (const char* line : {"[1,2]\n", "\"type\"\n", "42\n", "null\n", "true\n"}) {
    std::string error = ErrorFor(line);
    EXPECT_NE(error.find("expected an object"), std::string::npos) << line << ": " << error;
  }
}

TEST(FrameDecoder, RejectsMissingType) {
  std::string error = ErrorFor("{\"process_id\":\"w1\"}\n");
  EXPECT_NE(error.find("no \"type\""), std::string::npos) << error;
}

TEST(FrameDecoder, RejectsNonStringType) {
  for (const char* line : {"{\"type\":5}\n", "{\"type\":\"\"}\n", "{\"type\":null}\n"}) {
    std::string error = ErrorFor(line);
    EXPECT_NE(error.find("non-empty string"), std::string::npos) << line << ": " << error;
  }
}

TEST(FrameDecoder, RejectsInvalidUtf8) {
  // A stray continuation byte, a truncated sequence, an overlong encoding of
  // '/', a byte outside any string, and an escaped lone surrogate.
  for (const std::string line :
       {"{\"type\":\"a\xff\"}\n", "{\"type\":\"a\xe6\x97\"}\n", "{\"type\":\"\xc0\xaf\"}\n",
        "{\"type\":\"a\"}\xc3\xa9\n", "{\"type\":\"\\ud800\"}\n"}) {
    std::string error = ErrorFor(line);
    EXPECT_NE(error.find("invalid JSON"), std::string::npos) << error;
  }
}

TEST(FrameDecoder, AcceptsMultibyteUtf8) {
  FrameDecoder decoder;
  FeedString(decoder, "{\"type\":\"event\",\"name\":\"\xe6\x97\xa5\xe6\x9c\xac\"}\n");
  std::optional<json> message = decoder.Next();
  ASSERT_TRUE(message.has_value());
  EXPECT_EQ((*message)["name"], "\xe6\x97\xa5\xe6\x9c\xac");
}

TEST(EncodeFrame, OneLinePerMessage) {
  json message = {{"type", "event"}, {"data", {{"text", "a\nb\r\nc"}, {"n", 1}}}};
  std::string frame = EncodeFrame(message);
  ASSERT_FALSE(frame.empty());
  EXPECT_EQ(frame.back(), '\n');
  EXPECT_EQ(frame.find('\n'), frame.size() - 1);
  EXPECT_EQ(json::parse(frame), message);
}

TEST(EncodeFrame, RejectsInvalidMessages) {
  EXPECT_THROW(EncodeFrame(json::array({1, 2})), ProtocolError);
  EXPECT_THROW(EncodeFrame(json{{"name", "x"}}), ProtocolError);
  EXPECT_THROW(EncodeFrame(json{{"type", 3}}), ProtocolError);
  EXPECT_THROW(EncodeFrame(json{{"type", ""}}), ProtocolError);
}

TEST(EncodeFrame, RejectsInvalidUtf8) {
  json message = {{"type", "event"}, {"name", "bad \xff byte"}};
  EXPECT_THROW(EncodeFrame(message), ProtocolError);
}

TEST(EncodeFrame, EnforcesLimit) {
  EXPECT_EQ(EncodeFrame(MessageOfSize(300), 300).size(), 301u);
  try {
    EncodeFrame(MessageOfSize(301), 300);
    FAIL() << "expected ProtocolError";
  } catch (const ProtocolError& error) {
    EXPECT_NE(std::string(error.what()).find("301 bytes"), std::string::npos) << error.what();
  }
}

TEST(MessageType, ReturnsTypeOrEmpty) {
  EXPECT_EQ(MessageType(json{{"type", "wake"}}), "wake");
  EXPECT_EQ(MessageType(json{{"type", 1}}), "");
  EXPECT_EQ(MessageType(json::array()), "");
}

}  // namespace
}  // namespace msearch::ipc

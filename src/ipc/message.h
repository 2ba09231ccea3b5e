#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/error.h"

namespace msearch::ipc {

// Messages are JSON objects with a string "type" field, framed as
// newline-delimited JSON: one compact object per line, UTF-8 encoded. The
// limit counts the bytes of one line without its newline.
inline constexpr size_t kDefaultMaxMessageBytes = 1024 * 1024;

// A frame that breaks the protocol: a line over the size limit, invalid JSON
// or UTF-8, or a JSON value that is not an object with a string "type".
class ProtocolError : public Error {
 public:
  using Error::Error;
};

// Serializes `message` as one frame, the compact JSON followed by '\n'.
// nlohmann::json escapes control characters, so the JSON itself never
// contains a newline. Throws ProtocolError when the message is not an object
// with a non-empty string "type", contains a string that is not valid UTF-8, or
// encodes to more than `max_message_bytes` (without the newline).
std::string EncodeFrame(const nlohmann::json& message,
                        size_t max_message_bytes = kDefaultMaxMessageBytes);

// Returns the "type" of a message that passed EncodeFrame or FrameDecoder,
// or an empty string when it has none.
std::string MessageType(const nlohmann::json& message);

// Splits a byte stream into messages. Feed() takes bytes in chunks of any
// size; Next() returns the complete messages in order. Empty lines are
// skipped. Only the unfinished last line is buffered, and at most
// `max_message_bytes` of it: a longer line fails the decoder as soon as it
// exceeds the limit, without waiting for its newline.
//
// After the first error the decoder is failed: Next() returns the messages
// that were complete before the bad line, then throws ProtocolError, and keeps
// throwing it; Feed() ignores further input. Not thread-safe.
class FrameDecoder {
 public:
  explicit FrameDecoder(size_t max_message_bytes = kDefaultMaxMessageBytes)
      : max_message_bytes_(max_message_bytes) {}

  void Feed(const char* data, size_t size);

  // Returns the next complete message, or nullopt when more bytes are needed.
  // Throws ProtocolError for an oversized line, invalid JSON or UTF-8, a
  // value that is not an object, or a missing or non-string "type".
  std::optional<nlohmann::json> Next();

  // True after an error; the connection should be closed.
  bool failed() const { return error_.has_value(); }

  // Bytes of the unfinished last line, useful to report a truncated stream.
  size_t partial_bytes() const { return partial_.size(); }

 private:
  // Records the error, drops buffered input and throws it.
  [[noreturn]] void Fail(std::string message);

  size_t max_message_bytes_;
  std::string partial_;
  std::deque<std::string> lines_;
  // Set once a line is over the limit; Next() raises it after `lines_`.
  std::optional<std::string> pending_error_;
  std::optional<std::string> error_;
};

}  // namespace msearch::ipc

#include "ipc/message.h"

#include <cstring>
#include <utility>

#include <fmt/format.h>

#include "common/json_parse.h"

namespace msearch::ipc {
namespace {

// Throws ProtocolError unless `message` is an object with a non-empty string
// "type".
void ValidateMessage(const nlohmann::json& message) {
  if (!message.is_object()) {
    throw ProtocolError(fmt::format("IPC message is a JSON {}, expected an object with a \"type\"",
                                    message.type_name()));
  }
  auto type = message.find("type");
  if (type == message.end()) {
    throw ProtocolError("IPC message has no \"type\" field");
  }
  if (!type->is_string() || type->get_ref<const std::string&>().empty()) {
    throw ProtocolError(
        fmt::format("IPC message \"type\" is {}, expected a non-empty string", type->dump()));
  }
}

}  // namespace

std::string EncodeFrame(const nlohmann::json& message, size_t max_message_bytes) {
  ValidateMessage(message);
  std::string frame;
  try {
    frame = message.dump();
  } catch (const nlohmann::json::type_error& error) {
    // dump() throws type_error 316 for a string that is not valid UTF-8.
    throw ProtocolError(fmt::format("cannot encode IPC message of type \"{}\": {}",
                                    MessageType(message), error.what()));
  }
  if (frame.size() > max_message_bytes) {
    throw ProtocolError(fmt::format(
        "IPC message of type \"{}\" is {} bytes, over the {}-byte limit; send large data "
        "through the database or shared memory instead",
        MessageType(message), frame.size(), max_message_bytes));
  }
  frame.push_back('\n');
  return frame;
}

std::string MessageType(const nlohmann::json& message) {
  if (!message.is_object()) return "";
  auto type = message.find("type");
  if (type == message.end() || !type->is_string()) return "";
  return type->get<std::string>();
}

void FrameDecoder::Feed(const char* data, size_t size) {
  if (failed() || pending_error_) return;
  const char* end = data + size;
  while (data < end) {
    const char* newline = static_cast<const char*>(std::memchr(data, '\n', end - data));
    const char* segment_end = newline != nullptr ? newline : end;
    size_t segment_size = segment_end - data;
    // Checked before appending, so a huge chunk never grows the buffer past
    // the limit.
    if (partial_.size() + segment_size > max_message_bytes_) {
      pending_error_ = fmt::format("IPC message exceeds the {}-byte limit", max_message_bytes_);
      partial_.clear();
      return;
    }
    partial_.append(data, segment_size);
    if (newline == nullptr) return;
    if (!partial_.empty()) lines_.push_back(std::move(partial_));
    partial_.clear();
    data = newline + 1;
  }
}

std::optional<nlohmann::json> FrameDecoder::Next() {
  if (error_) throw ProtocolError(*error_);
  if (lines_.empty()) {
    if (pending_error_) Fail(std::move(*pending_error_));
    return std::nullopt;
  }

  std::string line = std::move(lines_.front());
  lines_.pop_front();
  nlohmann::json message;
  try {
    // Parse errors include invalid UTF-8 inside strings.
    message = ParseJsonLimited(line);
  } catch (const nlohmann::json::parse_error& error) {
    Fail(fmt::format("invalid JSON in IPC message: {}", error.what()));
  } catch (const JsonDepthError& error) {
    Fail(fmt::format("invalid IPC message: {}", error.what()));
  }
  try {
    ValidateMessage(message);
  } catch (const ProtocolError& error) {
    Fail(error.what());
  }
  return message;
}

void FrameDecoder::Fail(std::string message) {
  error_ = std::move(message);
  pending_error_.reset();
  partial_.clear();
  lines_.clear();
  throw ProtocolError(*error_);
}

}  // namespace msearch::ipc

#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <mutex>
#include <optional>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "ipc/message.h"
#include "ipc/unix_socket.h"

namespace msearch::ipc {

// The peer closed the connection, or it broke (reset, or a send timed out in
// the middle of a frame). The client must be connected again before use.
class ConnectionClosedError : public Error {
 public:
  using Error::Error;
};

// A child process's end of the IPC socket.
//
// A worker waits for work without busy polling by calling Receive with a slow
// fallback timeout while idle, for example:
//
//   while (running) {
//     std::optional<nlohmann::json> message = client.Receive(std::chrono::seconds(5));
//     if (message && MessageType(*message) == kTypeShutdown) break;
//     ClaimAndRunTasks();  // after a "wake" message or the timeout
//   }
//
// Thread safety: Send may be called from several threads at once, and
// concurrently with Receive. Receive calls are serialized. Connect and Close
// must not run concurrently with any other call. Shutdown may, and it makes
// blocked Send and Receive calls throw ConnectionClosedError.
class IpcClient {
 public:
  static constexpr std::chrono::milliseconds kDefaultSendTimeout{10000};

  explicit IpcClient(size_t max_message_bytes = kDefaultMaxMessageBytes)
      : max_message_bytes_(max_message_bytes), decoder_(max_message_bytes) {}

  IpcClient(const IpcClient&) = delete;
  IpcClient& operator=(const IpcClient&) = delete;

  // Connects to the server at `socket_path`, retrying while the socket does
  // not exist yet or refuses connections, until `timeout` has passed. Throws
  // msearch::Error naming the path when the path is too long, access is
  // denied, or the deadline passes. Closes any previous connection first.
  void Connect(const std::filesystem::path& socket_path, std::chrono::milliseconds timeout);

  // Writes one message, waiting up to `timeout` while the socket buffer is
  // full. Throws ProtocolError when the message cannot be encoded (see
  // EncodeFrame), ConnectionClosedError when the connection is closed or
  // broken, and msearch::Error on timeout. A timeout after part of the frame
  // was written breaks the connection, because the stream cannot be resumed.
  void Send(const nlohmann::json& message, std::chrono::milliseconds timeout = kDefaultSendTimeout);

  // Returns the next message, or nullopt when none arrives within `timeout`
  // (zero checks without waiting). Waits in poll(), without busy polling.
  // Throws ConnectionClosedError when the server closed the connection and
  // ProtocolError when it sent a malformed frame.
  std::optional<nlohmann::json> Receive(std::chrono::milliseconds timeout);

  // Shuts the socket down in both directions without closing the descriptor.
  void Shutdown();

  // Closes the connection. Safe to call when not connected.
  void Close();

  bool connected() const { return fd_.valid() && !broken_; }

  // The socket, for callers that wait on it together with other descriptors.
  // Messages may already be buffered, so call Receive(0ms) before waiting.
  int fd() const { return fd_.get(); }

 private:
  size_t max_message_bytes_;
  FileDescriptor fd_;
  std::atomic<bool> broken_{false};
  std::mutex send_mutex_;
  std::mutex receive_mutex_;
  FrameDecoder decoder_;
  std::filesystem::path socket_path_;
};

}  // namespace msearch::ipc

#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ipc/server.h"
#include "ipc/unix_socket.h"

namespace msearch::ipc::testing {

// Generous, because the tests share a loaded machine; a passing test never
// waits this long.
inline constexpr std::chrono::seconds kWaitTimeout{30};

// Records what an IpcServer reports and lets a test wait for a condition.
// The default message handler replies to {"type":"ping","n":N} with
// {"type":"pong","n":N,"peer_pid":PID}.
class ServerRecorder {
 public:
  void Install(IpcServer& server) {
    server_ = &server;
    server.SetConnectHandler([this](ConnectionId id, const PeerCredentials&) {
      std::lock_guard lock(mutex_);
      connected_.push_back(id);
      changed_.notify_all();
    });
    server.SetDisconnectHandler([this](ConnectionId id) {
      std::lock_guard lock(mutex_);
      disconnected_.push_back(id);
      changed_.notify_all();
    });
    server.SetMessageHandler([this](ConnectionId id, const nlohmann::json& message) {
      if (message["type"] == "ping") {
        std::optional<PeerCredentials> peer = server_->Peer(id);
        server_->Send(
            id,
            {{"type", "pong"}, {"n", message.value("n", 0)}, {"peer_pid", peer ? peer->pid : -1}});
      }
      std::lock_guard lock(mutex_);
      messages_.emplace_back(id, message);
      changed_.notify_all();
    });
  }

  // Waits until `predicate` (called under the recorder's lock) holds;
  // returns false after kWaitTimeout.
  bool WaitFor(const std::function<bool()>& predicate) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kWaitTimeout, predicate);
  }

  // Waits for the n-th accepted connection (1-based) and returns its id, or 0.
  ConnectionId WaitForConnection(size_t n) {
    if (!WaitFor([&] { return connected_.size() >= n; })) return 0;
    std::lock_guard lock(mutex_);
    return connected_[n - 1];
  }

  bool WaitForDisconnect(ConnectionId id) {
    return WaitFor([&] {
      return std::find(disconnected_.begin(), disconnected_.end(), id) != disconnected_.end();
    });
  }

  // Messages received from `id`; call under WaitFor or after it returned.
  std::vector<nlohmann::json> MessagesFrom(ConnectionId id) {
    std::lock_guard lock(mutex_);
    std::vector<nlohmann::json> result;
    for (const auto& [from, message] : messages_) {
      if (from == id) result.push_back(message);
    }
    return result;
  }

  // For predicates passed to WaitFor, which already hold the lock.
  const std::vector<std::pair<ConnectionId, nlohmann::json>>& messages() const { return messages_; }
  const std::vector<ConnectionId>& connected() const { return connected_; }
  const std::vector<ConnectionId>& disconnected() const { return disconnected_; }

  size_t DisconnectCount() {
    std::lock_guard lock(mutex_);
    return disconnected_.size();
  }

 private:
  IpcServer* server_ = nullptr;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::pair<ConnectionId, nlohmann::json>> messages_;
  std::vector<ConnectionId> connected_;
  std::vector<ConnectionId> disconnected_;
};

// A blocking Unix socket connection for writing bytes that IpcClient would
// refuse to send.
inline FileDescriptor ConnectRaw(const std::filesystem::path& path) {
  FileDescriptor fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un address = MakeUnixAddress(path);
  EXPECT_EQ(::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)), 0)
      << path;
  return fd;
}

// Writes all of `bytes`; returns false if the peer closed the connection.
inline bool WriteRaw(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t sent = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (sent < 0) return false;
    bytes.remove_prefix(static_cast<size_t>(sent));
  }
  return true;
}

// Reads and discards data until the peer closes the connection (end of file
// or reset). Returns false if it stays open for kWaitTimeout.
inline bool WaitForPeerClose(int fd) {
  timeval timeout{static_cast<time_t>(kWaitTimeout.count()), 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  char buffer[4096];
  while (true) {
    ssize_t received = ::recv(fd, buffer, sizeof(buffer), 0);
    if (received == 0) return true;
    if (received < 0) return errno == ECONNRESET || errno == EPIPE;
  }
}

}  // namespace msearch::ipc::testing

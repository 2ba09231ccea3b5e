#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>
#include <spdlog/common.h>
#include <sys/types.h>

#include "common/logging.h"
#include "ipc/listener.h"
#include "ipc/message.h"
#include "ipc/unix_socket.h"

namespace msearch::ipc {

// Identifies one accepted connection for the server's lifetime. Ids start at
// 1 and are never reused.
using ConnectionId = uint64_t;

// Credentials of the process that connected, from SO_PEERCRED at accept time.
struct PeerCredentials {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
};

// The main process's end of the IPC socket. Listens on a Unix domain socket,
// accepts any number of clients (up to Options::max_connections) and runs an
// epoll loop on its own thread that reads messages and writes queued output.
//
// Handlers run on the server thread, one at a time, so they must not block
// for long. They may call Send, Broadcast, Close, Peer and Connections, but
// not Stop. A connection is closed, and the server keeps running, when its
// peer sends a malformed or oversized message or when its unsent output
// exceeds Options::max_output_bytes because the peer does not read. Peers
// with another uid are rejected at accept. Every close and rejection is
// logged with the peer pid, and closes also with the connection id.
//
// Send, Broadcast, Close, Peer and Connections are thread-safe. Start and Stop
// must be called from one controlling thread.
class IpcServer {
 public:
  struct Options {
    std::filesystem::path socket_path;
    size_t max_message_bytes = kDefaultMaxMessageBytes;
    // Unsent output allowed per connection before it is dropped.
    size_t max_output_bytes = 8 * 1024 * 1024;
    size_t max_connections = 256;
    // Only peers with this uid are accepted; nullopt means the server's own
    // effective uid.
    std::optional<uid_t> allowed_uid;
  };

  using MessageHandler = std::function<void(ConnectionId, const nlohmann::json&)>;
  using ConnectHandler = std::function<void(ConnectionId, const PeerCredentials&)>;
  using DisconnectHandler = std::function<void(ConnectionId)>;

  explicit IpcServer(Options options);
  // Calls Stop().
  ~IpcServer();

  IpcServer(const IpcServer&) = delete;
  IpcServer& operator=(const IpcServer&) = delete;

  // Handlers must be set before Start(). Exceptions derived from
  // std::exception that they throw are logged and otherwise ignored.
  void SetMessageHandler(MessageHandler handler) { message_handler_ = std::move(handler); }
  void SetConnectHandler(ConnectHandler handler) { connect_handler_ = std::move(handler); }
  // Called once for every connection that closes while the server runs,
  // whether the peer or the server closed it. Stop() does not call it for the
  // connections it closes.
  void SetDisconnectHandler(DisconnectHandler handler) { disconnect_handler_ = std::move(handler); }

  // Binds the socket and starts the server thread. The socket directory must
  // already exist (see PrepareSocketDir). A socket file left by a dead server
  // is replaced. Throws msearch::Error when the path is too long, a live
  // server already listens on it, the path is something other than a socket,
  // or a system call fails. Throws if already running.
  void Start();

  // Stops the thread, writes queued output that fits in the socket buffers
  // without waiting, closes every connection and removes the socket file if
  // it is still the one this server created. Safe to call more than once.
  void Stop();

  // Queues `message` for one connection and returns true, or returns false
  // when the connection is unknown, closed or closing. When the queue would
  // exceed max_output_bytes the connection is closed instead. Throws
  // ProtocolError when the message cannot be encoded (see EncodeFrame).
  bool Send(ConnectionId id, const nlohmann::json& message);

  // Queues `message` for every open connection, or for those where
  // `predicate(id)` returns true. The predicate runs without the server's lock,
  // on the calling thread. Returns the number of connections it was queued for.
  size_t Broadcast(const nlohmann::json& message);
  size_t Broadcast(const nlohmann::json& message,
                   const std::function<bool(ConnectionId)>& predicate);

  // Closes a connection from the server side, after the server thread has
  // written what it can of its queued output. Returns false if unknown.
  bool Close(ConnectionId id);

  std::optional<PeerCredentials> Peer(ConnectionId id) const;
  std::vector<ConnectionId> Connections() const;

  const std::filesystem::path& socket_path() const { return options_.socket_path; }
  bool running() const { return thread_.joinable(); }

 private:
  struct Connection;

  void Run();
  void AcceptAll();
  // Checks the peer's credentials and the connection limit, then registers
  // the connection or closes it.
  void AdmitConnection(FileDescriptor socket);
  void LogRejection(const std::string& reason);
  // Reads and dispatches what the peer sent; returns false if it closed the
  // connection.
  bool ReadFrom(Connection& connection);
  // Writes output and carries out close requests queued by other threads.
  void FlushPending();
  // Writes queued output without blocking; returns false on a write error.
  bool Flush(Connection& connection, std::string* error);
  void UpdateWriteInterest(Connection& connection, bool want_write);
  // Server thread only. Logs `reason` at `level` with the peer pid.
  void CloseConnection(ConnectionId id, const std::string& reason, spdlog::level::level_enum level,
                       bool notify);
  // Queues an encoded frame, or requests a close when the output limit would
  // be exceeded; the caller holds mutex_.
  bool QueueLocked(Connection& connection, const std::string& frame);
  // Interrupts epoll_wait; the caller holds mutex_.
  void Wake();

  Options options_;
  uid_t allowed_uid_;
  MessageHandler message_handler_;
  ConnectHandler connect_handler_;
  DisconnectHandler disconnect_handler_;

  ListeningSocket listener_;
  FileDescriptor epoll_fd_;
  FileDescriptor wake_fd_;

  std::thread thread_;
  std::atomic<bool> stop_requested_{false};
  // True while accepting is paused after an accept() error such as EMFILE.
  bool accept_paused_ = false;
  double accept_resume_at_ = 0;

  mutable std::mutex mutex_;
  // Written only on the server thread, under mutex_.
  std::unordered_map<ConnectionId, std::unique_ptr<Connection>> connections_;
  // Connections with new output or a close request, under mutex_.
  std::vector<ConnectionId> pending_;
  ConnectionId next_id_ = 1;

  LogRateLimiter error_log_limiter_{20, std::chrono::seconds(60)};
};

}  // namespace msearch::ipc

#include "ipc/server.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/error.h"
#include "ipc/listener.h"

namespace msearch::ipc {
namespace {

// epoll data keys for the two descriptors that are not connections.
constexpr uint64_t kListenKey = 0;
constexpr uint64_t kWakeKey = std::numeric_limits<uint64_t>::max();

constexpr int kListenBacklog = 128;
constexpr size_t kReadChunkBytes = 64 * 1024;
// Reads per readiness event, so one busy peer cannot starve the others;
// level-triggered epoll reports the rest on the next round.
constexpr int kMaxReadsPerEvent = 16;
// Pause before accepting again after running out of file descriptors.
constexpr double kAcceptPauseSeconds = 0.1;

// Returns the note appended to a rate-limited log line, empty when nothing
// was suppressed.
std::string SuppressedNote(size_t suppressed) {
  if (suppressed == 0) return "";
  return fmt::format(" ({} similar messages suppressed)", suppressed);
}

}  // namespace

struct IpcServer::Connection {
  Connection(ConnectionId connection_id, FileDescriptor socket, const PeerCredentials& credentials,
             size_t max_message_bytes)
      : id(connection_id), fd(std::move(socket)), peer(credentials), decoder(max_message_bytes) {}

  const ConnectionId id;
  const FileDescriptor fd;
  const PeerCredentials peer;
  // Server thread only.
  FrameDecoder decoder;
  bool write_armed = false;
  // Guarded by IpcServer::mutex_.
  std::string output;
  size_t output_offset = 0;
  bool pending = false;
  bool close_requested = false;
  std::string close_reason;
  spdlog::level::level_enum close_level = spdlog::level::info;
};

IpcServer::IpcServer(Options options)
    : options_(std::move(options)), allowed_uid_(options_.allowed_uid.value_or(::geteuid())) {}

IpcServer::~IpcServer() { Stop(); }

void IpcServer::Start() {
  if (running()) {
    throw Error(fmt::format("IPC server on '{}' is already running", socket_path().string()));
  }
  listener_ = ListenAt(socket_path(), kListenBacklog);
  try {
    epoll_fd_.Reset(::epoll_create1(EPOLL_CLOEXEC));
    if (!epoll_fd_.valid()) throw Error(ErrnoMessage("epoll_create1", errno));
    wake_fd_.Reset(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    if (!wake_fd_.valid()) throw Error(ErrnoMessage("eventfd", errno));

    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = kListenKey;
    if (::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, listener_.fd.get(), &event) != 0) {
      throw Error(ErrnoMessage("epoll_ctl on the listening socket", errno));
    }
    event.data.u64 = kWakeKey;
    if (::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, wake_fd_.get(), &event) != 0) {
      throw Error(ErrnoMessage("epoll_ctl on the wake eventfd", errno));
    }
    stop_requested_ = false;
    accept_paused_ = false;
    thread_ = std::thread(&IpcServer::Run, this);
  } catch (...) {
    RemoveSocketFile(socket_path(), listener_);
    listener_.fd.Reset();
    epoll_fd_.Reset();
    wake_fd_.Reset();
    throw;
  }
  spdlog::info("IPC server listening on {}", socket_path().string());
}

void IpcServer::Stop() {
  if (!thread_.joinable()) return;
  if (std::this_thread::get_id() == thread_.get_id()) {
    throw Error(
        "IpcServer::Stop() was called from a handler on the server thread; call it from "
        "the thread that called Start()");
  }
  stop_requested_ = true;
  {
    std::lock_guard lock(mutex_);
    Wake();
  }
  thread_.join();

  // The server thread has exited, so this thread owns the connections now.
  std::unordered_map<ConnectionId, std::unique_ptr<Connection>> connections;
  for (auto& [id, connection] : connections_) {
    std::string ignored;
    Flush(*connection, &ignored);
  }
  {
    std::lock_guard lock(mutex_);
    connections.swap(connections_);
    pending_.clear();
  }
  connections.clear();

  RemoveSocketFile(socket_path(), listener_);
  listener_.fd.Reset();
  epoll_fd_.Reset();
  wake_fd_.Reset();
  spdlog::info("IPC server on {} stopped", socket_path().string());
}

void IpcServer::Run() {
  constexpr int kMaxEvents = 64;
  epoll_event events[kMaxEvents];
  while (!stop_requested_) {
    int timeout_ms = -1;
    if (accept_paused_) {
      double wait = std::max(0.0, accept_resume_at_ - MonotonicSeconds());
      timeout_ms = static_cast<int>(std::ceil(wait * 1000));
    }
    int count = ::epoll_wait(epoll_fd_.get(), events, kMaxEvents, timeout_ms);
    if (count < 0) {
      if (errno == EINTR) continue;
      spdlog::critical("IPC server on {} stopped handling connections: {}", socket_path().string(),
                       ErrnoMessage("epoll_wait", errno));
      return;
    }

    if (accept_paused_ && MonotonicSeconds() >= accept_resume_at_) {
      epoll_event event{};
      event.events = EPOLLIN;
      event.data.u64 = kListenKey;
      if (::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, listener_.fd.get(), &event) == 0) {
        accept_paused_ = false;
      } else {
        accept_resume_at_ = MonotonicSeconds() + kAcceptPauseSeconds;
      }
    }

    for (int i = 0; i < count; ++i) {
      uint64_t key = events[i].data.u64;
      if (key == kListenKey) {
        AcceptAll();
        continue;
      }
      if (key == kWakeKey) {
        uint64_t value = 0;
        [[maybe_unused]] ssize_t ignored = ::read(wake_fd_.get(), &value, sizeof(value));
        continue;
      }

      Connection* connection = nullptr;
      {
        std::lock_guard lock(mutex_);
        auto it = connections_.find(key);
        if (it != connections_.end()) connection = it->second.get();
      }
      // Closed earlier in this round.
      if (connection == nullptr) continue;

      uint32_t flags = events[i].events;
      if ((flags & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0) {
        if (!ReadFrom(*connection)) continue;
      }
      if ((flags & EPOLLOUT) != 0) {
        std::string error;
        if (!Flush(*connection, &error)) {
          CloseConnection(key, error, spdlog::level::warn, true);
        }
      }
    }
    FlushPending();
  }
}

void IpcServer::AcceptAll() {
  while (true) {
    int fd = ::accept4(listener_.fd.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      int error = errno;
      if (error == EINTR || error == ECONNABORTED) continue;
      if (error == EAGAIN || error == EWOULDBLOCK) return;
      size_t suppressed = 0;
      if (error_log_limiter_.Allow("accept", &suppressed)) {
        spdlog::error("IPC server on {}: {}{}", socket_path().string(),
                      ErrnoMessage("accept", error), SuppressedNote(suppressed));
      }
      // After an error such as EMFILE the pending connection stays readable,
      // so stop watching the listening socket for a moment instead of spinning.
      ::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_DEL, listener_.fd.get(), nullptr);
      accept_paused_ = true;
      accept_resume_at_ = MonotonicSeconds() + kAcceptPauseSeconds;
      return;
    }
    AdmitConnection(FileDescriptor(fd));
  }
}

void IpcServer::AdmitConnection(FileDescriptor socket) {
  ucred credentials{};
  socklen_t length = sizeof(credentials);
  if (::getsockopt(socket.get(), SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0) {
    LogRejection(ErrnoMessage("getsockopt(SO_PEERCRED)", errno));
    return;
  }
  PeerCredentials peer{credentials.pid, credentials.uid, credentials.gid};
  if (peer.uid != allowed_uid_) {
    LogRejection(fmt::format("from pid {} with uid {}: only uid {} may connect", peer.pid, peer.uid,
                             allowed_uid_));
    return;
  }

  ConnectionId id = 0;
  {
    std::lock_guard lock(mutex_);
    if (connections_.size() >= options_.max_connections) {
      LogRejection(fmt::format("from pid {}: {} connections are open, the maximum", peer.pid,
                               connections_.size()));
      return;
    }
    id = next_id_++;
  }

  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = id;
  if (::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, socket.get(), &event) != 0) {
    LogRejection(fmt::format("from pid {}: {}", peer.pid, ErrnoMessage("epoll_ctl", errno)));
    return;
  }
  {
    std::lock_guard lock(mutex_);
    connections_.emplace(
        id, std::make_unique<Connection>(id, std::move(socket), peer, options_.max_message_bytes));
  }
  spdlog::info("IPC connection {} accepted from pid {}", id, peer.pid);
  if (connect_handler_) {
    try {
      connect_handler_(id, peer);
    } catch (const std::exception& error) {
      spdlog::error("IPC connect handler failed for connection {}: {}", id, error.what());
    }
  }
}

void IpcServer::LogRejection(const std::string& reason) {
  size_t suppressed = 0;
  if (error_log_limiter_.Allow("reject", &suppressed)) {
    spdlog::warn("IPC server on {} rejected a connection {}{}", socket_path().string(), reason,
                 SuppressedNote(suppressed));
  }
}

bool IpcServer::ReadFrom(Connection& connection) {
  const ConnectionId id = connection.id;
  char buffer[kReadChunkBytes];
  for (int round = 0; round < kMaxReadsPerEvent; ++round) {
    ssize_t received = ::recv(connection.fd.get(), buffer, sizeof(buffer), 0);
    if (received < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
      CloseConnection(id, ErrnoMessage("reading from the peer", errno), spdlog::level::warn, true);
      return false;
    }
    if (received == 0) {
      if (connection.decoder.partial_bytes() > 0) {
        CloseConnection(id,
                        fmt::format("peer closed the connection in the middle of a message "
                                    "({} bytes unread)",
                                    connection.decoder.partial_bytes()),
                        spdlog::level::warn, true);
      } else {
        CloseConnection(id, "peer closed the connection", spdlog::level::info, true);
      }
      return false;
    }

    connection.decoder.Feed(buffer, static_cast<size_t>(received));
    try {
      while (std::optional<nlohmann::json> message = connection.decoder.Next()) {
        if (!message_handler_) continue;
        try {
          message_handler_(id, *message);
        } catch (const std::exception& error) {
          size_t suppressed = 0;
          if (error_log_limiter_.Allow("handler", &suppressed)) {
            spdlog::error(
                "IPC message handler failed on a \"{}\" message from connection {} (pid {}): {}{}",
                MessageType(*message), id, connection.peer.pid, error.what(),
                SuppressedNote(suppressed));
          }
        }
      }
    } catch (const ProtocolError& error) {
      CloseConnection(id, fmt::format("protocol error: {}", error.what()), spdlog::level::warn,
                      true);
      return false;
    }
    if (static_cast<size_t>(received) < sizeof(buffer)) return true;
  }
  return true;
}

void IpcServer::FlushPending() {
  std::vector<ConnectionId> ids;
  {
    std::lock_guard lock(mutex_);
    ids.swap(pending_);
    for (ConnectionId id : ids) {
      auto it = connections_.find(id);
      if (it != connections_.end()) it->second->pending = false;
    }
  }
  for (ConnectionId id : ids) {
    Connection* connection = nullptr;
    bool close_requested = false;
    std::string close_reason;
    spdlog::level::level_enum close_level = spdlog::level::info;
    {
      std::lock_guard lock(mutex_);
      auto it = connections_.find(id);
      if (it == connections_.end()) continue;
      connection = it->second.get();
      close_requested = connection->close_requested;
      close_reason = connection->close_reason;
      close_level = connection->close_level;
    }
    std::string error;
    if (!Flush(*connection, &error)) {
      CloseConnection(id, error, spdlog::level::warn, true);
    } else if (close_requested) {
      CloseConnection(id, close_reason, close_level, true);
    }
  }
}

bool IpcServer::Flush(Connection& connection, std::string* error) {
  bool want_write = false;
  {
    std::lock_guard lock(mutex_);
    std::string& output = connection.output;
    while (connection.output_offset < output.size()) {
      ssize_t sent = ::send(connection.fd.get(), output.data() + connection.output_offset,
                            output.size() - connection.output_offset, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (sent >= 0) {
        connection.output_offset += static_cast<size_t>(sent);
        continue;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      *error = ErrnoMessage("writing to the peer", errno);
      return false;
    }
    if (connection.output_offset == output.size()) {
      output.clear();
      connection.output_offset = 0;
    } else if (connection.output_offset * 2 > output.size()) {
      output.erase(0, connection.output_offset);
      connection.output_offset = 0;
    }
    want_write = !output.empty();
  }
  UpdateWriteInterest(connection, want_write);
  return true;
}

void IpcServer::UpdateWriteInterest(Connection& connection, bool want_write) {
  if (connection.write_armed == want_write) return;
  epoll_event event{};
  event.events = EPOLLIN | (want_write ? EPOLLOUT : 0u);
  event.data.u64 = connection.id;
  if (::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_MOD, connection.fd.get(), &event) == 0) {
    connection.write_armed = want_write;
  }
}

void IpcServer::CloseConnection(ConnectionId id, const std::string& reason,
                                spdlog::level::level_enum level, bool notify) {
  std::unique_ptr<Connection> connection;
  {
    std::lock_guard lock(mutex_);
    auto it = connections_.find(id);
    if (it == connections_.end()) return;
    connection = std::move(it->second);
    connections_.erase(it);
  }
  ::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_DEL, connection->fd.get(), nullptr);
  const pid_t pid = connection->peer.pid;
  // Closes the socket.
  connection.reset();

  size_t suppressed = 0;
  if (level < spdlog::level::warn) {
    spdlog::log(level, "IPC connection {} (pid {}) closed: {}", id, pid, reason);
  } else if (error_log_limiter_.Allow("close", &suppressed)) {
    spdlog::log(level, "IPC connection {} (pid {}) closed: {}{}", id, pid, reason,
                SuppressedNote(suppressed));
  }
  if (notify && disconnect_handler_) {
    try {
      disconnect_handler_(id);
    } catch (const std::exception& error) {
      spdlog::error("IPC disconnect handler failed for connection {}: {}", id, error.what());
    }
  }
}

bool IpcServer::QueueLocked(Connection& connection, const std::string& frame) {
  if (connection.close_requested) return false;
  if (!connection.pending) {
    connection.pending = true;
    pending_.push_back(connection.id);
  }
  size_t unsent = connection.output.size() - connection.output_offset;
  if (unsent + frame.size() > options_.max_output_bytes) {
    connection.close_requested = true;
    connection.close_level = spdlog::level::warn;
    connection.close_reason = fmt::format(
        "{} bytes of output are waiting, over the {}-byte limit, because the peer is not "
        "reading",
        unsent + frame.size(), options_.max_output_bytes);
    return false;
  }
  connection.output.append(frame);
  return true;
}

bool IpcServer::Send(ConnectionId id, const nlohmann::json& message) {
  std::string frame = EncodeFrame(message, options_.max_message_bytes);
  std::lock_guard lock(mutex_);
  auto it = connections_.find(id);
  if (it == connections_.end()) return false;
  bool queued = QueueLocked(*it->second, frame);
  Wake();
  return queued;
}

size_t IpcServer::Broadcast(const nlohmann::json& message) {
  return Broadcast(message, [](ConnectionId) { return true; });
}

size_t IpcServer::Broadcast(const nlohmann::json& message,
                            const std::function<bool(ConnectionId)>& predicate) {
  std::string frame = EncodeFrame(message, options_.max_message_bytes);
  std::vector<ConnectionId> ids = Connections();
  std::erase_if(ids, [&](ConnectionId id) { return !predicate(id); });

  size_t queued = 0;
  std::lock_guard lock(mutex_);
  for (ConnectionId id : ids) {
    auto it = connections_.find(id);
    if (it != connections_.end() && QueueLocked(*it->second, frame)) ++queued;
  }
  if (!ids.empty()) Wake();
  return queued;
}

bool IpcServer::Close(ConnectionId id) {
  std::lock_guard lock(mutex_);
  auto it = connections_.find(id);
  if (it == connections_.end()) return false;
  Connection& connection = *it->second;
  if (!connection.close_requested) {
    connection.close_requested = true;
    connection.close_reason = "closed by the server";
    if (!connection.pending) {
      connection.pending = true;
      pending_.push_back(id);
    }
    Wake();
  }
  return true;
}

std::optional<PeerCredentials> IpcServer::Peer(ConnectionId id) const {
  std::lock_guard lock(mutex_);
  auto it = connections_.find(id);
  if (it == connections_.end()) return std::nullopt;
  return it->second->peer;
}

std::vector<ConnectionId> IpcServer::Connections() const {
  std::lock_guard lock(mutex_);
  std::vector<ConnectionId> ids;
  ids.reserve(connections_.size());
  for (const auto& [id, connection] : connections_) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

void IpcServer::Wake() {
  if (!wake_fd_.valid()) return;
  uint64_t one = 1;
  // EAGAIN means the counter is already non-zero, which wakes the loop too.
  [[maybe_unused]] ssize_t ignored = ::write(wake_fd_.get(), &one, sizeof(one));
}

}  // namespace msearch::ipc

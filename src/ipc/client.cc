#include "ipc/client.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include "ipc/socket_path.h"

namespace msearch::ipc {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kReadChunkBytes = 64 * 1024;
constexpr std::chrono::milliseconds kFirstRetryDelay{10};
constexpr std::chrono::milliseconds kMaxRetryDelay{200};

// Milliseconds left until `deadline` for poll(), rounded up so a wait never
// ends just before the deadline and spins; 0 once it has passed.
int PollTimeout(Clock::time_point deadline) {
  auto left = deadline - Clock::now();
  if (left <= Clock::duration::zero()) return 0;
  auto milliseconds = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  return static_cast<int>(std::min<decltype(milliseconds)>(milliseconds, 1 << 30));
}

// Returns true for connect() errors that mean the server is not listening
// yet, so Connect should retry.
bool RetryableConnectError(int error) {
  return error == ENOENT || error == ECONNREFUSED || error == EAGAIN;
}

}  // namespace

void IpcClient::Connect(const std::filesystem::path& socket_path,
                        std::chrono::milliseconds timeout) {
  Close();
  sockaddr_un address = MakeUnixAddress(socket_path);
  const Clock::time_point deadline = Clock::now() + timeout;
  std::chrono::milliseconds delay = kFirstRetryDelay;
  int attempts = 0;
  while (true) {
    ++attempts;
    FileDescriptor fd = NewUnixStreamSocket();
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0) {
      fd_ = std::move(fd);
      socket_path_ = socket_path;
      broken_ = false;
      decoder_ = FrameDecoder(max_message_bytes_);
      spdlog::info("connected to IPC server {} after {} attempt(s)", socket_path.string(),
                   attempts);
      return;
    }
    int error = errno;
    if (!RetryableConnectError(error)) {
      throw Error(fmt::format("cannot connect to IPC socket '{}': {}", socket_path.string(),
                              std::strerror(error)));
    }
    auto left = deadline - Clock::now();
    if (left <= Clock::duration::zero()) {
      throw Error(
          fmt::format("cannot connect to IPC socket '{}' within {} ms ({} attempts): {}; "
                      "check that the main process is running",
                      socket_path.string(), timeout.count(), attempts, std::strerror(error)));
    }
    spdlog::debug("IPC socket {} not ready ({}), retrying in {} ms", socket_path.string(),
                  std::strerror(error), delay.count());
    std::this_thread::sleep_for(std::min<Clock::duration>(delay, left));
    delay = std::min(delay * 2, kMaxRetryDelay);
  }
}

void IpcClient::Send(const nlohmann::json& message, std::chrono::milliseconds timeout) {
  std::string frame = EncodeFrame(message, max_message_bytes_);
  std::lock_guard lock(send_mutex_);
  if (!connected()) {
    throw ConnectionClosedError(
        fmt::format("cannot send a \"{}\" message: not connected", MessageType(message)));
  }

  const Clock::time_point deadline = Clock::now() + timeout;
  size_t offset = 0;
  while (offset < frame.size()) {
    ssize_t sent = ::send(fd_.get(), frame.data() + offset, frame.size() - offset,
                          MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent >= 0) {
      offset += static_cast<size_t>(sent);
      continue;
    }
    int error = errno;
    if (error == EINTR) continue;
    if (error != EAGAIN && error != EWOULDBLOCK) {
      broken_ = true;
      throw ConnectionClosedError(fmt::format("sending to IPC socket '{}' failed: {}",
                                              socket_path_.string(), std::strerror(error)));
    }

    pollfd poll_fd{fd_.get(), POLLOUT, 0};
    int ready = ::poll(&poll_fd, 1, PollTimeout(deadline));
    if (ready < 0 && errno != EINTR) {
      broken_ = true;
      throw ConnectionClosedError(ErrnoMessage("poll on the IPC socket", errno));
    }
    if (ready == 0 && Clock::now() >= deadline) {
      if (offset > 0) {
        broken_ = true;
        ::shutdown(fd_.get(), SHUT_RDWR);
      }
      throw Error(
          fmt::format("sending a \"{}\" message to IPC socket '{}' timed out after {} ms "
                      "because the server is not reading",
                      MessageType(message), socket_path_.string(), timeout.count()));
    }
  }
}

std::optional<nlohmann::json> IpcClient::Receive(std::chrono::milliseconds timeout) {
  std::lock_guard lock(receive_mutex_);
  const Clock::time_point deadline = Clock::now() + timeout;
  char buffer[kReadChunkBytes];
  while (true) {
    try {
      if (std::optional<nlohmann::json> message = decoder_.Next()) return message;
    } catch (const ProtocolError&) {
      // The rest of the stream cannot be framed, so the connection is done.
      broken_ = true;
      throw;
    }
    if (!connected()) {
      throw ConnectionClosedError(
          fmt::format("IPC connection to '{}' is closed", socket_path_.string()));
    }

    pollfd poll_fd{fd_.get(), POLLIN, 0};
    int ready = ::poll(&poll_fd, 1, PollTimeout(deadline));
    if (ready < 0) {
      if (errno == EINTR) continue;
      broken_ = true;
      throw ConnectionClosedError(ErrnoMessage("poll on the IPC socket", errno));
    }
    if (ready == 0) return std::nullopt;

    ssize_t received = ::recv(fd_.get(), buffer, sizeof(buffer), MSG_DONTWAIT);
    if (received > 0) {
      decoder_.Feed(buffer, static_cast<size_t>(received));
      continue;
    }
    if (received < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
    std::string reason = received == 0 ? "closed by the server" : std::strerror(errno);
    broken_ = true;
    throw ConnectionClosedError(
        fmt::format("IPC connection to '{}' ended: {}", socket_path_.string(), reason));
  }
}

void IpcClient::Shutdown() {
  if (!fd_.valid()) return;
  broken_ = true;
  ::shutdown(fd_.get(), SHUT_RDWR);
}

void IpcClient::Close() {
  fd_.Reset();
  broken_ = false;
}

}  // namespace msearch::ipc

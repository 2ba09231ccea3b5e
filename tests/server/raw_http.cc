#include "raw_http.h"

#include <chrono>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace msearch::server {

std::string RawHttp(int port, const std::string& request, double timeout_seconds) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return "";
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(request.size())) {
    auto deadline = std::chrono::steady_clock::now() +
                    std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                        std::chrono::duration<double>(timeout_seconds));
    char buffer[4096];
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd descriptor{fd, POLLIN, 0};
      if (poll(&descriptor, 1, 100) <= 0) {
        // A complete response with Content-Length ends the wait early.
        size_t header_end = response.find("\r\n\r\n");
        size_t length_at = response.find("Content-Length: ");
        if (header_end != std::string::npos && length_at != std::string::npos &&
            length_at < header_end) {
          size_t length = std::stoul(response.substr(length_at + 16));
          if (response.size() >= header_end + 4 + length) break;
        }
        continue;
      }
      ssize_t received = recv(fd, buffer, sizeof(buffer), 0);
      if (received <= 0) break;
      response.append(buffer, static_cast<size_t>(received));
    }
  }
  close(fd);
  return response;
}

int RawStatus(const std::string& response) {
  if (response.rfind("HTTP/1.1 ", 0) != 0 || response.size() < 12) return 0;
  return std::stoi(response.substr(9, 3));
}

}  // namespace msearch::server

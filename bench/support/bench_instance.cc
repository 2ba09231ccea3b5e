#include "support/bench_instance.h"

#include <cerrno>
#include <fstream>
#include <stdexcept>
#include <system_error>

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace msearch::bench {
namespace {

// A JSON string is a valid YAML double-quoted scalar, escapes included.
std::string Quoted(const std::filesystem::path& path) {
  return nlohmann::json(path.string()).dump();
}

void ConfigureClient(httplib::Client& client, double timeout_seconds) {
  auto seconds = static_cast<time_t>(timeout_seconds);
  auto microseconds = static_cast<time_t>((timeout_seconds - static_cast<double>(seconds)) * 1e6);
  client.set_connection_timeout(seconds, microseconds);
  client.set_read_timeout(seconds, microseconds);
  client.set_write_timeout(seconds, microseconds);
}

std::optional<nlohmann::json> ParseOk(const httplib::Result& result) {
  if (!result || result->status != 200) return std::nullopt;
  nlohmann::json body = nlohmann::json::parse(result->body, nullptr, false);
  if (body.is_discarded()) return std::nullopt;
  return body;
}

}  // namespace

BenchInstance::BenchInstance(std::filesystem::path root,
                             std::vector<std::filesystem::path> watched_dirs,
                             std::optional<int> debounce_ms)
    : root_(std::move(root)), port_(FreeTcpPort()) {
  for (const char* folder : {"config", "data", "logs", "ipc", "ctl"}) {
    std::filesystem::create_directories(root_ / folder);
  }
  std::string watched;
  for (const std::filesystem::path& dir : watched_dirs) {
    if (!watched.empty()) watched += ", ";
    watched += Quoted(dir);
  }
  std::ofstream out(config_file());
  out << "# Written by an msearch benchmark; unlisted keys keep their defaults.\n"
      << "processes:\n  file_monitor:\n    watched_dirs: [" << watched << "]\n";
  if (debounce_ms) out << "    debounce_ms: " << *debounce_ms << "\n";
  out << "ipc:\n  local_ipc:\n    socket_path: " << Quoted(root_ / "ipc" / "msearch.sock") << "\n"
      << "api:\n  host: \"127.0.0.1\"\n  port: " << port_ << "\n"
      << "storage:\n  data_dir: " << Quoted(data_dir()) << "\n"
      << "logging:\n  dir: " << Quoted(root_ / "logs") << "\n";
  if (!out) throw std::runtime_error("failed to write " + config_file().string());
}

std::vector<std::string> BenchInstance::ServeArgv(const std::filesystem::path& msearch) const {
  return {msearch.string(), "--config", config_file().string(), "serve", "--quiet"};
}

int FreeTcpPort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    int error = errno;
    close(fd);
    throw std::system_error(error, std::generic_category(), "bind to a free port");
  }
  close(fd);
  return ntohs(address.sin_port);
}

std::optional<nlohmann::json> GetJson(int port, const std::string& target, double timeout_seconds) {
  httplib::Client client("127.0.0.1", port);
  ConfigureClient(client, timeout_seconds);
  return ParseOk(client.Get(target));
}

std::optional<nlohmann::json> PostJson(int port, const std::string& target,
                                       const nlohmann::json& body, double timeout_seconds) {
  httplib::Client client("127.0.0.1", port);
  ConfigureClient(client, timeout_seconds);
  return ParseOk(client.Post(target, body.dump(), "application/json"));
}

bool ChildrenRegistered(const nlohmann::json& health) {
  const nlohmann::json& processes = health.value("processes", nlohmann::json::array());
  bool any_child = false;
  for (const nlohmann::json& process : processes) {
    if (process.value("type", "") == "main") continue;
    any_child = true;
    const nlohmann::json& heartbeat = process.value("last_heartbeat", nlohmann::json(0));
    if (!heartbeat.is_number() || heartbeat.get<double>() <= 0) return false;
  }
  return any_child;
}

}  // namespace msearch::bench

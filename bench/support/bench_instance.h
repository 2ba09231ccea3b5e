#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace msearch::bench {

// A private msearch set-up for one benchmark run, all under `root`: data,
// logs, IPC socket and msearchctl folders, a configuration file and a free
// TCP port on 127.0.0.1. Other keys keep msearch's built-in defaults, so the
// run measures what a default installation does. Nothing is shared with
// another instance, so several can run side by side.
class BenchInstance {
 public:
  // Creates the folders and writes the configuration; `debounce_ms` sets
  // processes.file_monitor.debounce_ms when given. Throws std::runtime_error
  // when a folder or the file cannot be written.
  BenchInstance(std::filesystem::path root, std::vector<std::filesystem::path> watched_dirs,
                std::optional<int> debounce_ms = std::nullopt);

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path config_file() const { return root_ / "config" / "config.yml"; }
  std::filesystem::path data_dir() const { return root_ / "data"; }
  // MSEARCH_RUN_DIR for scripts/msearchctl: its pid file and output log.
  std::filesystem::path ctl_dir() const { return root_ / "ctl"; }
  // stdout and stderr of a directly spawned `msearch serve`.
  std::filesystem::path serve_output() const { return root_ / "serve.out"; }
  int port() const { return port_; }

  // argv of `msearch serve` with this configuration, logging to files only.
  std::vector<std::string> ServeArgv(const std::filesystem::path& msearch) const;

 private:
  std::filesystem::path root_;
  int port_ = 0;
};

// A TCP port on 127.0.0.1 that was free a moment ago: bound with port 0 and
// released. Another program may take it before msearch binds it, which
// then fails its start with a clear message. Throws std::system_error.
int FreeTcpPort();

// GET `target` on 127.0.0.1:`port`. Returns the parsed JSON body when the
// server responds with 200 within `timeout_seconds`, nullopt on any other outcome
// (connection refused, timeout, other status, body not JSON).
std::optional<nlohmann::json> GetJson(int port, const std::string& target,
                                      double timeout_seconds = 2);

// POST `body` as JSON; otherwise as GetJson.
std::optional<nlohmann::json> PostJson(int port, const std::string& target,
                                       const nlohmann::json& body, double timeout_seconds = 2);

// True when every child in the process list of a GET /health body has sent
// at least one heartbeat, that is, it started and registered over IPC.
bool ChildrenRegistered(const nlohmann::json& health);

}  // namespace msearch::bench

#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>
#include <sys/types.h>

#include "process_runner.h"

namespace msearch::testing {

// Writes <root>/config.yml for a whole process tree: it watches <root>/media
// (created empty), keeps its data in <root>/data and its logs in <root>/logs,
// and listens on a free port. Returns the file's path.
std::filesystem::path WriteServeConfig(const std::filesystem::path& root);

// What the main process writes to <data_dir>/api.json once its API listens.
struct ApiEndpoint {
  std::string host;
  int port = 0;
  pid_t pid = 0;
};

// Returns the endpoint, or nullopt when the file is missing or not complete JSON.
std::optional<ApiEndpoint> ReadApiEndpoint(const std::filesystem::path& data_dir);

// GET or POST (JSON body) on 127.0.0.1:`port`. Returns the parsed body of a
// 200 response, or nullopt for any failure (no response, another status, not
// JSON).
std::optional<nlohmann::json> GetJson(int port, const std::string& path);
std::optional<nlohmann::json> PostJson(int port, const std::string& path,
                                       const nlohmann::json& body);

// `msearch --config <root>/config.yml serve --quiet` in its own process
// group, its output in <root>/serve.stdout and <root>/serve.stderr. The
// group is killed when the object goes away.
class ServeProcess {
 public:
  explicit ServeProcess(const std::filesystem::path& root);

  // Waits until api.json names this process and /health responds.
  bool WaitUntilReady(std::chrono::duration<double> timeout);

  SpawnedProcess& process() { return *process_; }
  pid_t pid() const { return process_->pid(); }
  int port() const { return port_; }

  // GET /health, or nullopt when it did not respond.
  std::optional<nlohmann::json> Health() const { return GetJson(port_, "/health"); }

  // The end of the main process's log and of its stderr, for failure messages.
  std::string Diagnostics() const;

 private:
  std::filesystem::path root_;
  std::unique_ptr<SpawnedProcess> process_;
  int port_ = 0;
};

// The "processes" entry of a /health response with this id, or null.
nlohmann::json FindProcess(const nlohmann::json& health, const std::string& id);

}  // namespace msearch::testing

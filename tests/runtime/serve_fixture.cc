#include "serve_fixture.h"

#include <fmt/format.h>
#include <httplib.h>

namespace msearch::testing {
namespace {

namespace fs = std::filesystem;

// A YAML scalar for `text`: JSON strings are valid YAML.
std::string Quoted(const std::string& text) { return nlohmann::json(text).dump(); }

std::string Tail(const std::string& text, size_t bytes) {
  return text.size() <= bytes ? text : "..." + text.substr(text.size() - bytes);
}

httplib::Client MakeClient(int port) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(5);
  client.set_read_timeout(30);
  return client;
}

std::optional<nlohmann::json> ParseOk(const httplib::Result& result) {
  if (!result || result->status != 200) return std::nullopt;
  nlohmann::json body = nlohmann::json::parse(result->body, nullptr, false);
  if (body.is_discarded()) return std::nullopt;
  return body;
}

}  // namespace

fs::path WriteServeConfig(const fs::path& root) {
  fs::create_directories(root / "media");
  // max_image_megapixels admits the 400-megapixel PNG of the corpus, whose
  // thumbnail takes seconds: a task that is sure to be seen running.
  std::string yaml = fmt::format(R"(processes:
  file_monitor:
    watched_dirs: [{media}]
    scan_interval: 3600
    debounce_ms: 200
  task_worker:
    num_instances: 2
  embedding_worker:
    num_instances: 1
ipc:
  task_queue:
    lease_seconds: 5
supervisor:
  heartbeat_interval: 0.5
  heartbeat_timeout: 10
  restart_backoff_initial: 0.2
api:
  port: 0
storage:
  data_dir: {data}
logging:
  dir: {logs}
media:
  max_image_megapixels: 1000
)",
                                 fmt::arg("media", Quoted((root / "media").string())),
                                 fmt::arg("data", Quoted((root / "data").string())),
                                 fmt::arg("logs", Quoted((root / "logs").string())));
  fs::path config = root / "config.yml";
  WriteFile(config, yaml);
  return config;
}

std::optional<ApiEndpoint> ReadApiEndpoint(const fs::path& data_dir) {
  std::string text = ReadFile(data_dir / "api.json");
  nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded() || !json.is_object()) return std::nullopt;
  ApiEndpoint endpoint;
  endpoint.host = json.value("host", "");
  endpoint.port = json.value("port", 0);
  endpoint.pid = json.value("pid", 0);
  return endpoint;
}

std::optional<nlohmann::json> GetJson(int port, const std::string& path) {
  httplib::Client client = MakeClient(port);
  return ParseOk(client.Get(path));
}

std::optional<nlohmann::json> PostJson(int port, const std::string& path,
                                       const nlohmann::json& body) {
  httplib::Client client = MakeClient(port);
  return ParseOk(client.Post(path, body.dump(), "application/json"));
}

ServeProcess::ServeProcess(const fs::path& root) : root_(root) {
  SpawnOptions options;
  options.stdout_path = root / "serve.stdout";
  options.stderr_path = root / "serve.stderr";
  process_ = std::make_unique<SpawnedProcess>(
      MsearchBinary(),
      std::vector<std::string>{"--config", (root / "config.yml").string(), "serve", "--quiet"},
      options);
}

bool ServeProcess::WaitUntilReady(std::chrono::duration<double> timeout) {
  return WaitUntil(
             [this] {
               if (process_->reaped() || process_->Wait(std::chrono::seconds(0))) return true;
               std::optional<ApiEndpoint> endpoint = ReadApiEndpoint(root_ / "data");
               if (!endpoint || endpoint->pid != pid() || endpoint->port <= 0) return false;
               port_ = endpoint->port;
               return GetJson(port_, "/health").has_value();
             },
             timeout, std::chrono::milliseconds(100)) &&
         !process_->reaped();
}

std::string ServeProcess::Diagnostics() const {
  return fmt::format("--- main_process.log (end) ---\n{}\n--- serve.stderr (end) ---\n{}\n",
                     Tail(ReadFile(root_ / "logs" / "main_process.log"), 4000),
                     Tail(ReadFile(root_ / "serve.stderr"), 2000));
}

nlohmann::json FindProcess(const nlohmann::json& health, const std::string& id) {
  if (!health.contains("processes")) return nullptr;
  for (const nlohmann::json& process : health["processes"]) {
    if (process.value("id", "") == id) return process;
  }
  return nullptr;
}

}  // namespace msearch::testing

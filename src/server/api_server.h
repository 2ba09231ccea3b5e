#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config.h"
#include "queue/task.h"

namespace msearch::search {
class SearchService;
}  // namespace msearch::search

namespace msearch::server {

// Callbacks from the REST API into the main process. Each is optional (an
// empty function is skipped). They run on the API's worker threads, possibly
// several at once, so they must be thread-safe and should return quickly.
// An exception from a callback is logged; the request still succeeds, except
// that /health reports "degraded" when process_status throws.
struct ServerHooks {
  // A JSON array with one object per process: id, type, status, pid, uptime
  // (seconds), restarts, rss (bytes). /health turns "degraded" when a
  // process's status is "failed", "error", "crashed" or "stopped".
  std::function<nlohmann::json()> process_status;
  // A watched directory was added or removed in the catalog: the file
  // monitor must reload its list.
  std::function<void()> directories_changed;
  // Tasks of these types became claimable (retried or resumed): wake idle workers.
  std::function<void(const std::vector<std::string>& task_types)> work_queued;
  // Rescan one watched directory, or all of them for nullopt.
  std::function<void(std::optional<int64_t> directory_id)> rescan_requested;
  // Builds the probe task of a catalogued file (the same task the file
  // monitor queues), for POST /api/v1/index/add. Without it, that route
  // requests a rescan instead.
  std::function<queue::NewTask(int64_t file_id, const std::string& path, int64_t directory_id)>
      make_probe_task;
  // Drops the vectors of files that left the catalog from the search index
  // (DELETE /api/v1/index/remove, or a directory removed with its data).
  std::function<void(const std::vector<int64_t>& file_ids)> files_removed;
  // The state of the vector indexes, for GET /api/v1/vector/stats: a JSON
  // array with one object per embedding space.
  std::function<nlohmann::json()> index_status;
  // Store names of the models loaded in this process to encode queries.
  std::function<std::vector<std::string>()> query_models_loaded;
};

// Timing and limits of the server-sent event streams of GET /api/v1/events.
struct EventStreamOptions {
  double poll_seconds = 1.0;        // interval between checks for changes
  double keepalive_seconds = 15.0;  // a comment line is sent after this much silence
  // Maximum number of open streams, above which requests get 503. 0 means
  // api.threads. Streams run on their own threads on top of api.threads, so
  // they never take the threads that serve other requests.
  size_t max_streams = 0;
};

struct ServerContext;

// The REST API (routes under /api/v1 plus /health) served over HTTP by
// cpp-httplib on api.host:api.port with api.threads worker threads. Reads the
// catalog (storage.catalog_path) and the task queue (ipc.task_queue.path)
// through its own SQLite connections. When api.token is set, every route
// except /health requires the header "Authorization: Bearer <token>".
// Requests are logged to api_server.log.
//
// Thread safety: Start, Stop and the destructor are called from one thread.
class ApiServer {
 public:
  ApiServer(const config::Config& config, ServerHooks hooks);
  ~ApiServer();  // Stops the server.

  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Binds api.host:api.port (port 0 picks a free port; see port()) and
  // serves requests on a background thread until Stop. Throws msearch::Error
  // naming the address when it cannot be bound, for example when the port is
  // in use, or when called twice.
  void Start();

  // Stops accepting connections, waits for requests in progress to finish
  // and joins the threads. Safe to call when not started or twice.
  void Stop();

  bool running() const;
  // The bound port, valid after Start.
  int port() const { return port_; }

  // Sets the event stream options. Call before Start.
  void SetEventStreamOptions(const EventStreamOptions& options);

  // Sends an event to every open stream of GET /api/v1/events. Thread-safe.
  void Publish(const std::string& type, nlohmann::json data);

  // Replaces the service the search routes run queries with. The default
  // one matches names, paths, tags, recognised text and fingerprints only.
  // Call before Start.
  void SetSearchService(std::shared_ptr<search::SearchService> service);

  // Every route the server serves, as "METHOD pattern", in registration order.
  std::vector<std::string> RouteList() const;

 private:
  std::unique_ptr<ServerContext> context_;
  std::thread listener_;
  int port_ = 0;
  // The listening socket, recorded while cpp-httplib creates it.
  int listen_socket_ = -1;
};

}  // namespace msearch::server

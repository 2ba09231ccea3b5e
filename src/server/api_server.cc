#include "server/api_server.h"

#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>

#include <fmt/format.h>
#include <sys/socket.h>

#include "common/clock.h"
#include "common/error.h"
#include "common/uuid.h"
#include "search/search_service.h"
#include "server/access_control.h"
#include "server/event_poller.h"
#include "server/http_response.h"
#include "server/request_limits.h"
#include "server/server_context.h"

namespace msearch::server {
namespace {

// cpp-httplib runs each request on one worker thread from routing to the
// access log, so the start time can live in a thread_local.
thread_local double t_request_started = 0;

// How long Stop waits for open event streams to send their last event.
constexpr double kStreamEndSeconds = 2.0;
// Maximum number of connections waiting to be accepted. The kernel caps it at
// net.core.somaxconn.
constexpr int kListenBacklog = 128;

bool HasBodyMethod(const std::string& method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

// Checks the framing of the request body before cpp-httplib reads it.
// Adjusts `request`, which cpp-httplib passes as const although it owns a
// mutable object that lives until the response is written.
std::optional<ApiError> PrepareBody(const httplib::Request& request) {
  auto& mutable_request = const_cast<httplib::Request&>(request);
  // Media routes handle Range requests themselves. cpp-httplib 0.11 would
  // cut their response bodies again, and would cut error bodies too.
  mutable_request.ranges.clear();
  if (!HasBodyMethod(request.method)) return std::nullopt;

  bool chunked = request.has_header("Transfer-Encoding");
  if (!request.has_header("Content-Length") && !chunked) {
    // A request without either header has no body (RFC 9112, section 6.3).
    // cpp-httplib 0.11 would instead read until the client closes the
    // connection or its 5 s read timeout passes.
    mutable_request.headers.emplace("Content-Length", "0");
    return std::nullopt;
  }
  if (chunked) {
    if (StreamsBody(request.method, request.path)) return std::nullopt;
    return ApiError(411, "length_required",
                    "chunked request bodies are accepted only by POST /api/v1/files/upload: send "
                    "the body with a Content-Length header");
  }
  uint64_t length = 0;
  const std::string text = request.get_header_value("Content-Length");
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), length);
  if (error != std::errc() || end != text.data() + text.size()) {
    return BadRequest(fmt::format("invalid Content-Length header '{}'", text));
  }
  size_t limit = MaxBodyBytes(request.method, request.path);
  if (length > limit) {
    return PayloadTooLarge(
        fmt::format("the request body of {} bytes exceeds the limit of {} bytes "
                    "for {} {}",
                    length, limit, request.method, request.path));
  }
  return std::nullopt;
}

void ConfigureHandlers(ServerContext& context) {
  RouteRecordingServer& http = context.http;

  http.set_pre_routing_handler(
      [&context](const httplib::Request& request, httplib::Response& response) {
        t_request_started = MonotonicSeconds();
        std::optional<ApiError> rejection = CheckAccess(request, context.config.api);
        if (!rejection) rejection = PrepareBody(request);
        if (!rejection) return httplib::Server::HandlerResponse::Unhandled;
        context.logger->warn("{} {} from {} rejected with {}: {}", request.method, request.path,
                             request.remote_addr, rejection->status(), rejection->what());
        if (rejection->status() == 401) response.set_header("WWW-Authenticate", "Bearer");
        // The body, if any, was not read, so the connection cannot carry
        // another request.
        if (rejection->status() == 411 || rejection->status() == 413) {
          response.set_header("Connection", "close");
        }
        WriteError(response, *rejection);
        return httplib::Server::HandlerResponse::Handled;
      });

  // Fills in a body for the errors cpp-httplib produces itself (unknown
  // route, malformed request, body too large). Route errors already have one.
  httplib::Server::HandlerWithResponse fill_error_body = [](const httplib::Request& request,
                                                            httplib::Response& response) {
    if (!response.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    switch (response.status) {
      case 404:
        WriteJson(
            response,
            ErrorBody("not_found", fmt::format("no route for {} {}", request.method, request.path)),
            404);
        break;
      case 413:
        WriteJson(
            response,
            ErrorBody("payload_too_large", fmt::format("the request body exceeds {} bytes",
                                                       MaxBodyBytes(request.method, request.path))),
            413);
        break;
      case 416:
        WriteJson(response,
                  ErrorBody("range_not_satisfiable",
                            fmt::format("invalid Range header '{}': send one range such as "
                                        "'bytes=0-1023'",
                                        request.get_header_value("Range"))),
                  416);
        break;
      default:
        WriteJson(response,
                  ErrorBody(response.status < 500 ? "invalid_request" : "internal_error",
                            fmt::format("the request failed with HTTP status {}", response.status)),
                  response.status);
        break;
    }
    return httplib::Server::HandlerResponse::Handled;
  };
  http.set_error_handler(std::move(fill_error_body));

  http.set_exception_handler([&context](const httplib::Request& request,
                                        httplib::Response& response, std::exception_ptr thrown) {
    std::string error_id = NewUuid().substr(0, 8);
    std::string what = "unknown exception";
    try {
      std::rethrow_exception(thrown);
    } catch (const std::exception& error) {
      what = error.what();
    } catch (...) {
    }
    context.logger->error("{} {} failed with internal error {}: {}", request.method, request.path,
                          error_id, what);
    WriteJson(response,
              ErrorBody("internal_error",
                        fmt::format("internal server error {}; the details are in "
                                    "api_server.log under this id",
                                    error_id),
                        {{"error_id", error_id}}),
              500);
  });

  http.set_logger([&context](const httplib::Request& request, const httplib::Response& response) {
    double elapsed_ms =
        t_request_started > 0 ? (MonotonicSeconds() - t_request_started) * 1000.0 : 0.0;
    t_request_started = 0;
    context.logger->info("{} {} {} {:.1f} ms", request.method, request.path, response.status,
                         elapsed_ms);
  });
}

}  // namespace

ApiServer::ApiServer(const config::Config& config, ServerHooks hooks)
    : context_(std::make_unique<ServerContext>(config, std::move(hooks))) {
  RouteRecordingServer& http = context_->http;
  SetEventStreamOptions({});
  context_->search =
      std::make_shared<search::SearchService>(search::SearchServiceOptions{}, nullptr, nullptr);
  // Each open event stream occupies a thread, so the pool has a thread per
  // allowed stream on top of api.threads.
  http.new_task_queue = [context = context_.get()] {
    size_t threads = static_cast<size_t>(std::max(1, context->config.api.threads));
    return new httplib::ThreadPool(threads + context->events.max_streams());
  };
  // The largest body of any route. PrepareBody applies each route's own limit
  // before the body is read.
  http.set_payload_max_length(kMaxUploadBytes + kMultipartOverheadBytes);
  // cpp-httplib 0.11 also sets SO_REUSEPORT by default, which lets a second
  // server bind the same port and silently share its connections. Keep only
  // SO_REUSEADDR, so a restart can rebind at once and a port in use fails.
  http.set_socket_options([this](socket_t socket) {
    int enable = 1;
    setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &enable, sizeof(enable));
    listen_socket_ = socket;
  });
  // Responses go out as two writes (headers, then body). Without
  // TCP_NODELAY, Nagle's algorithm delays the second until the client acks
  // the first, and a client that delays its acks adds 40 ms to every
  // request on a kept-alive connection. Accepted sockets inherit the option
  // from the listening one on Linux.
  http.set_tcp_nodelay(true);

  ConfigureHandlers(*context_);
  RegisterSystemRoutes(*context_);
  RegisterSearchRoutes(*context_);
  RegisterFileRoutes(*context_);
  RegisterIndexRoutes(*context_);
  RegisterTaskRoutes(*context_);
  RegisterDirectoryRoutes(*context_);
  RegisterEventRoutes(*context_);
  RegisterModelRoutes(*context_);
  RegisterConfigRoutes(*context_);
  // Last, so that it describes every route registered above.
  RegisterOpenApiRoute(*context_);
}

ApiServer::~ApiServer() { Stop(); }

void ApiServer::Start() {
  if (listener_.joinable()) throw Error("the API server is already started");
  const config::ApiConfig& api = context_->config.api;
  RouteRecordingServer& http = context_->http;

  errno = 0;
  int port = api.port == 0 ? http.bind_to_any_port(api.host)
                           : (http.bind_to_port(api.host, api.port) ? api.port : -1);
  if (port < 0) {
    int bind_errno = errno;
    std::string reason = bind_errno != 0 ? std::strerror(bind_errno) : "bind failed";
    throw Error(fmt::format(
        "cannot listen on {}:{} ({}): set api.port in the configuration to a free port, or stop "
        "the program that uses this one; check that api.host is an address of this machine",
        api.host, api.port, reason));
  }
  port_ = port;
  // cpp-httplib 0.11 listens with a backlog of 5, fixed when the library was
  // built, so a burst of connection attempts that arrive before the accept
  // loop catches up could be dropped. Calling listen() again on the socket
  // raises the backlog on Linux.
  if (listen_socket_ >= 0 && listen(listen_socket_, kListenBacklog) != 0) {
    context_->logger->warn("failed to raise the listen backlog to {}: {}", kListenBacklog,
                           std::strerror(errno));
  }

  auto finished = std::make_shared<std::atomic<bool>>(false);
  listener_ = std::thread([&http, finished] {
    http.listen_after_bind();
    finished->store(true);
  });
  // Stop() only interrupts a server that is already listening, so wait for
  // that before returning.
  while (!http.is_running() && !finished->load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (!http.is_running()) {
    listener_.join();
    throw Error(
        fmt::format("the API server on {}:{} stopped right after it started; see the "
                    "log for the cause",
                    api.host, port_));
  }
  context_->uploads.RemoveExpired();
  context_->event_poller->Start();
  context_->logger->info(
      "API server listening on http://{}:{} with {} threads and up to {} event streams, token {}",
      api.host, port_, std::max(1, api.threads), context_->events.max_streams(),
      api.token.empty() ? "not required" : "required");
  spdlog::info("API server listening on http://{}:{}", api.host, port_);
}

void ApiServer::Stop() {
  if (!listener_.joinable()) return;
  // Event streams end first, with a "shutdown" event. cpp-httplib stops
  // calling a stream's provider once the server is stopping, so the streams
  // get a moment to send that event before the server stops. The wait is
  // short, so a client that does not read cannot hold up the stop.
  context_->events.Close();
  context_->event_poller->Stop();
  if (!context_->events.WaitForNoStreams(kStreamEndSeconds)) {
    context_->logger->warn("{} event streams did not end within {} s; stopping anyway",
                           context_->events.open_streams(), kStreamEndSeconds);
  }
  context_->http.stop();
  listener_.join();
  context_->logger->info("API server on port {} stopped", port_);
  spdlog::info("API server on port {} stopped", port_);
}

bool ApiServer::running() const { return context_->http.is_running(); }

void ApiServer::SetEventStreamOptions(const EventStreamOptions& options) {
  context_->event_options = options;
  size_t max_streams = options.max_streams > 0
                           ? options.max_streams
                           : static_cast<size_t>(std::max(1, context_->config.api.threads));
  context_->events.set_max_streams(max_streams);
}

void ApiServer::Publish(const std::string& type, nlohmann::json data) {
  context_->events.Publish(type, std::move(data));
}

void ApiServer::SetSearchService(std::shared_ptr<search::SearchService> service) {
  if (service) context_->search = std::move(service);
}

std::vector<std::string> ApiServer::RouteList() const {
  std::vector<std::string> list;
  for (const RegisteredRoute& route : context_->http.routes()) {
    list.push_back(route.method + " " + route.pattern);
  }
  return list;
}

}  // namespace msearch::server

#include "server/api_server.h"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>

#include <fmt/format.h>
#include <sys/socket.h>

#include "common/clock.h"
#include "common/error.h"
#include "common/uuid.h"
#include "server/access_control.h"
#include "server/http_response.h"
#include "server/server_context.h"

namespace msearch::server {
namespace {

// Larger bodies get 413. The routes served now take small forms and JSON.
// TODO: raise it, or stream to disk, once the upload routes exist.
constexpr size_t kMaxRequestBodyBytes = 8 * 1024 * 1024;

// cpp-httplib runs each request on one worker thread from routing to the
// access log, so the start time can live in a thread_local.
thread_local double t_request_started = 0;

void ConfigureHandlers(ServerContext& context) {
  httplib::Server& http = context.http;

  http.set_pre_routing_handler(
      [&context](const httplib::Request& request, httplib::Response& response) {
        t_request_started = MonotonicSeconds();
        std::optional<ApiError> rejection = CheckAccess(request, context.config.api);
        if (!rejection) return httplib::Server::HandlerResponse::Unhandled;
        context.logger->warn("{} {} from {} rejected with {}: {}", request.method, request.path,
                             request.remote_addr, rejection->status(), rejection->what());
        if (rejection->status() == 401) response.set_header("WWW-Authenticate", "Bearer");
        WriteError(response, *rejection);
        return httplib::Server::HandlerResponse::Handled;
      });

  // Fills in a body for the errors cpp-httplib produces itself (unknown
  // route, malformed request, body too large); route errors already have one.
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
        WriteJson(response,
                  ErrorBody("payload_too_large",
                            fmt::format("the request body exceeds {} bytes", kMaxRequestBodyBytes)),
                  413);
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
  httplib::Server& http = context_->http;
  size_t threads = static_cast<size_t>(std::max(1, config.api.threads));
  http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http.set_payload_max_length(kMaxRequestBodyBytes);
  // cpp-httplib 0.11 also sets SO_REUSEPORT by default, which lets a second
  // server bind the same port and silently share its connections. Keep only
  // SO_REUSEADDR, so a restart can rebind at once and a port in use fails.
  http.set_socket_options([](socket_t socket) {
    int enable = 1;
    setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &enable, sizeof(enable));
  });

  ConfigureHandlers(*context_);
  RegisterSystemRoutes(*context_);
  RegisterSearchRoutes(*context_);
  RegisterFileRoutes(*context_);
  RegisterIndexRoutes(*context_);
  RegisterTaskRoutes(*context_);
}

ApiServer::~ApiServer() { Stop(); }

void ApiServer::Start() {
  if (listener_.joinable()) throw Error("the API server is already started");
  const config::ApiConfig& api = context_->config.api;
  httplib::Server& http = context_->http;

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
  context_->logger->info("API server listening on http://{}:{} with {} threads, token {}", api.host,
                         port_, std::max(1, api.threads),
                         api.token.empty() ? "not required" : "required");
  spdlog::info("API server listening on http://{}:{}", api.host, port_);
}

void ApiServer::Stop() {
  if (!listener_.joinable()) return;
  context_->http.stop();
  listener_.join();
  context_->logger->info("API server on port {} stopped", port_);
  spdlog::info("API server on port {} stopped", port_);
}

bool ApiServer::running() const { return context_->http.is_running(); }

}  // namespace msearch::server

#pragma once

#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <httplib.h>

namespace msearch::server {

// A route as registered: the HTTP method and the path pattern (a regular
// expression for routes with path parameters, e.g. "/api/v1/tasks/([^/]+)").
struct RegisteredRoute {
  std::string method;
  std::string pattern;
};

// An httplib::Server that records every route registered through it, so the
// OpenAPI document can be checked against the routes the server really has.
// The registration functions hide, not override, those of httplib::Server:
// call them through this type, not through an httplib::Server reference.
class RouteRecordingServer : public httplib::Server {
 public:
  template <typename Handler>
  RouteRecordingServer& Get(const std::string& pattern, Handler handler) {
    Record("GET", pattern);
    httplib::Server::Get(pattern, std::move(handler));
    return *this;
  }
  template <typename Handler>
  RouteRecordingServer& Post(const std::string& pattern, Handler handler) {
    Record("POST", pattern);
    httplib::Server::Post(pattern, std::move(handler));
    return *this;
  }
  template <typename Handler>
  RouteRecordingServer& Put(const std::string& pattern, Handler handler) {
    Record("PUT", pattern);
    httplib::Server::Put(pattern, std::move(handler));
    return *this;
  }
  template <typename Handler>
  RouteRecordingServer& Patch(const std::string& pattern, Handler handler) {
    Record("PATCH", pattern);
    httplib::Server::Patch(pattern, std::move(handler));
    return *this;
  }
  template <typename Handler>
  RouteRecordingServer& Delete(const std::string& pattern, Handler handler) {
    Record("DELETE", pattern);
    httplib::Server::Delete(pattern, std::move(handler));
    return *this;
  }

  // Every route registered so far, in registration order.
  std::vector<RegisteredRoute> routes() const {
    std::lock_guard lock(mutex_);
    return routes_;
  }

 private:
  void Record(std::string method, const std::string& pattern) {
    std::lock_guard lock(mutex_);
    routes_.push_back({std::move(method), pattern});
  }

  mutable std::mutex mutex_;
  std::vector<RegisteredRoute> routes_;
};

}  // namespace msearch::server

#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

namespace msearch::server {

// Reads GET /api/v1/events of a test server on a background thread and
// keeps everything received, so a test can wait for an event.
class SseReader {
 public:
  // Connects to 127.0.0.1:`port` and sends `headers` with the request.
  explicit SseReader(int port, httplib::Headers headers = {});
  // Closes the connection and joins the thread.
  ~SseReader();

  SseReader(const SseReader&) = delete;
  SseReader& operator=(const SseReader&) = delete;

  // Waits up to `timeout_seconds` until the received text contains
  // `needle`. Returns true when it does.
  bool WaitFor(const std::string& needle, double timeout_seconds = 30);
  // Waits up to `timeout_seconds` until the server has closed the stream.
  // Returns true when it has.
  bool WaitForEnd(double timeout_seconds = 30);

  std::string text() const;
  int status() const;
  std::string content_type() const;

  // The data of the first event of type `type` after position `from` of the
  // text, or null when there is none.
  nlohmann::json EventData(const std::string& type, size_t from = 0) const;

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::string text_;
  int status_ = 0;
  std::string content_type_;
  bool ended_ = false;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace msearch::server

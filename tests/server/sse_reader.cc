#include "sse_reader.h"

#include <chrono>

namespace msearch::server {

SseReader::SseReader(int port, httplib::Headers headers) {
  thread_ = std::thread([this, port, headers = std::move(headers)] {
    httplib::Client client("127.0.0.1", port);
    client.set_connection_timeout(30);
    client.set_read_timeout(120);
    httplib::Result result = client.Get(
        "/api/v1/events", headers,
        [this](const httplib::Response& response) {
          std::lock_guard lock(mutex_);
          status_ = response.status;
          content_type_ = response.get_header_value("Content-Type");
          changed_.notify_all();
          return true;
        },
        [this](const char* data, size_t length) {
          std::lock_guard lock(mutex_);
          text_.append(data, length);
          changed_.notify_all();
          return !stop_;
        });
    std::lock_guard lock(mutex_);
    if (result && status_ == 0) {
      status_ = result->status;
      text_ += result->body;
    }
    ended_ = true;
    changed_.notify_all();
  });
}

SseReader::~SseReader() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  thread_.join();
}

bool SseReader::WaitFor(const std::string& needle, double timeout_seconds) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, std::chrono::duration<double>(timeout_seconds),
                           [&] { return text_.find(needle) != std::string::npos; });
}

bool SseReader::WaitForEnd(double timeout_seconds) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, std::chrono::duration<double>(timeout_seconds),
                           [this] { return ended_; });
}

std::string SseReader::text() const {
  std::lock_guard lock(mutex_);
  return text_;
}

int SseReader::status() const {
  std::lock_guard lock(mutex_);
  return status_;
}

std::string SseReader::content_type() const {
  std::lock_guard lock(mutex_);
  return content_type_;
}

nlohmann::json SseReader::EventData(const std::string& type, size_t from) const {
  std::string text = this->text();
  size_t event = text.find("event: " + type + "\n", from);
  if (event == std::string::npos) return nullptr;
  size_t data = text.find("data: ", event);
  size_t end = text.find('\n', data);
  if (data == std::string::npos || end == std::string::npos) return nullptr;
  return nlohmann::json::parse(text.substr(data + 6, end - data - 6), nullptr, false);
}

}  // namespace msearch::server

#include "server/event_bus.h"

#include <chrono>

namespace msearch::server {

uint64_t EventBus::Publish(std::string type, nlohmann::json data) {
  uint64_t id = 0;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return 0;
    id = next_id_++;
    events_.push_back({id, std::move(type), std::move(data)});
    if (events_.size() > kRetainedEvents) events_.pop_front();
  }
  changed_.notify_all();
  return id;
}

EventBus::Batch EventBus::WaitAfter(uint64_t after_id, double timeout_seconds) {
  std::unique_lock lock(mutex_);
  auto has_news = [this, after_id] {
    return closed_ || (!events_.empty() && events_.back().id > after_id);
  };
  changed_.wait_for(lock, std::chrono::duration<double>(timeout_seconds), has_news);

  Batch batch;
  batch.closed = closed_;
  if (events_.empty() || events_.back().id <= after_id) return batch;
  // Ids are consecutive, so a gap between `after_id` and the oldest retained
  // event means that events were dropped.
  batch.missed = events_.front().id > after_id + 1;
  for (const ServerEvent& event : events_) {
    if (event.id > after_id) batch.events.push_back(event);
  }
  return batch;
}

uint64_t EventBus::last_id() const {
  std::lock_guard lock(mutex_);
  return next_id_ - 1;
}

void EventBus::Close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  changed_.notify_all();
}

bool EventBus::closed() const {
  std::lock_guard lock(mutex_);
  return closed_;
}

bool EventBus::TryOpenStream() {
  std::lock_guard lock(mutex_);
  if (closed_ || open_streams_ >= max_streams_) return false;
  ++open_streams_;
  return true;
}

void EventBus::ReleaseStream() {
  {
    std::lock_guard lock(mutex_);
    if (open_streams_ > 0) --open_streams_;
  }
  changed_.notify_all();
}

bool EventBus::WaitForNoStreams(double timeout_seconds) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, std::chrono::duration<double>(timeout_seconds),
                           [this] { return open_streams_ == 0; });
}

size_t EventBus::max_streams() const {
  std::lock_guard lock(mutex_);
  return max_streams_;
}

void EventBus::set_max_streams(size_t max_streams) {
  std::lock_guard lock(mutex_);
  max_streams_ = max_streams;
}

size_t EventBus::open_streams() const {
  std::lock_guard lock(mutex_);
  return open_streams_;
}

}  // namespace msearch::server

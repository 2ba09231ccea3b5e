#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace msearch::server {

// One server-sent event: "id: <id>", "event: <type>", "data: <data as JSON>".
struct ServerEvent {
  uint64_t id = 0;  // consecutive, starting at 1
  std::string type;
  nlohmann::json data;
};

// Hands published events to the server-sent event streams of GET
// /api/v1/events, and counts the open streams against a cap so that streams
// cannot occupy every worker thread. Keeps the newest kRetainedEvents events,
// so a client that reconnects with Last-Event-ID receives what it missed.
//
// Thread-safe: any thread may publish while streams wait.
class EventBus {
 public:
  static constexpr size_t kRetainedEvents = 512;

  explicit EventBus(size_t max_streams) : max_streams_(max_streams) {}

  EventBus(const EventBus&) = delete;
  EventBus& operator=(const EventBus&) = delete;

  // Stores the event, wakes the waiting streams and returns its id. Events
  // published after Close are dropped (id 0).
  uint64_t Publish(std::string type, nlohmann::json data);

  struct Batch {
    std::vector<ServerEvent> events;  // oldest first
    // Events after the requested id were dropped from the buffer before this
    // call, so the client should reload its state.
    bool missed = false;
    bool closed = false;
  };

  // Returns the events with an id above `after_id`, waiting up to
  // `timeout_seconds` for one when there is none yet. Returns at once with
  // `closed` set after Close.
  Batch WaitAfter(uint64_t after_id, double timeout_seconds);

  // The id of the newest event, 0 before the first.
  uint64_t last_id() const;

  // Ends every stream, because waits then return at once with `closed` set.
  // Called when the server stops, so that streams finish before its threads
  // are joined.
  void Close();
  bool closed() const;

  // Takes one of the `max_streams` stream slots. Returns false when all are
  // taken or the bus is closed. Each successful call needs one ReleaseStream.
  bool TryOpenStream();
  void ReleaseStream();
  size_t open_streams() const;
  // Waits up to `timeout_seconds` until no stream is open. Returns true when
  // none is.
  bool WaitForNoStreams(double timeout_seconds);
  size_t max_streams() const;
  void set_max_streams(size_t max_streams);

 private:
  size_t max_streams_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<ServerEvent> events_;
  uint64_t next_id_ = 1;
  bool closed_ = false;
  size_t open_streams_ = 0;
};

}  // namespace msearch::server

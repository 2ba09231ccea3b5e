#include <charconv>
#include <memory>

#include <fmt/format.h>

#include "common/clock.h"
#include "server/event_poller.h"
#include "server/event_snapshot.h"
#include "server/http_response.h"
#include "server/server_context.h"

namespace msearch::server {
namespace {

// How long one call of the stream's content provider waits for events.
// cpp-httplib checks between calls whether the server is stopping.
constexpr double kMaxWaitSeconds = 1.0;
// Milliseconds a client's EventSource waits before it reconnects.
constexpr int kReconnectMilliseconds = 3000;

// One event in the text/event-stream format. JSON text has no raw line
// breaks, so the data fits on one "data:" line.
std::string FormatEvent(uint64_t id, std::string_view type, const nlohmann::json& data) {
  return fmt::format("id: {}\nevent: {}\ndata: {}\n\n", id, type,
                     data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

// The state of one open stream, shared by its content provider calls.
struct Stream {
  uint64_t last_id = 0;  // the id of the last event sent
  std::string first_chunk;
  double last_write = 0;  // MonotonicSeconds()
};

std::optional<uint64_t> ParseEventId(const std::string& text) {
  uint64_t id = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return id;
}

// Releases the stream slot unless the response took over that duty.
class StreamSlot {
 public:
  explicit StreamSlot(EventBus& bus) : bus_(&bus) {}
  ~StreamSlot() {
    if (bus_ != nullptr) bus_->ReleaseStream();
  }
  StreamSlot(const StreamSlot&) = delete;
  StreamSlot& operator=(const StreamSlot&) = delete;
  void Release() { bus_ = nullptr; }

 private:
  EventBus* bus_;
};

void HandleEvents(ServerContext& context, const httplib::Request& request,
                  httplib::Response& response) {
  EventBus& bus = context.events;
  if (!bus.TryOpenStream()) {
    response.set_header("Retry-After", "5");
    throw Unavailable(fmt::format("too many event streams: at most {} may be open at once; close "
                                  "another stream or retry later",
                                  bus.max_streams()),
                      {{"max_streams", bus.max_streams()}});
  }
  StreamSlot slot(bus);
  context.event_poller->Activate();

  auto stream = std::make_shared<Stream>();
  stream->last_id = bus.last_id();
  // A client that reconnects gets the events it missed while they are still
  // retained. An id from before a server restart is above the current ids,
  // so it is ignored.
  std::optional<uint64_t> resume = ParseEventId(request.get_header_value("Last-Event-ID"));
  bool replay = resume && *resume <= stream->last_id;
  stream->first_chunk = fmt::format("retry: {}\n", kReconnectMilliseconds) +
                        FormatEvent(stream->last_id, "snapshot", StateSnapshot(context));
  if (replay) stream->last_id = *resume;
  stream->last_write = MonotonicSeconds();

  response.set_header("Cache-Control", "no-cache");
  // Proxies such as nginx would otherwise buffer the stream.
  response.set_header("X-Accel-Buffering", "no");
  const double keepalive = context.event_options.keepalive_seconds;
  response.set_chunked_content_provider(
      "text/event-stream",
      [&bus, stream, keepalive](size_t, httplib::DataSink& sink) {
        std::string out = std::move(stream->first_chunk);
        stream->first_chunk.clear();
        EventBus::Batch batch =
            out.empty() ? bus.WaitAfter(stream->last_id, std::min(kMaxWaitSeconds, keepalive))
                        : bus.WaitAfter(stream->last_id, 0);
        if (batch.missed) {
          out += FormatEvent(stream->last_id, "resync",
                             {{"reason", "events were dropped; reload the state"}});
        }
        for (const ServerEvent& event : batch.events) {
          out += FormatEvent(event.id, event.type, event.data);
          stream->last_id = event.id;
        }
        if (batch.closed) {
          out += FormatEvent(stream->last_id, "shutdown", {{"reason", "the server is stopping"}});
        }
        double now = MonotonicSeconds();
        if (out.empty() && now - stream->last_write >= keepalive) out = ": keep-alive\n\n";
        if (!out.empty()) {
          if (!sink.write(out.data(), out.size())) return false;
          stream->last_write = now;
        }
        if (batch.closed) sink.done();
        return true;
      },
      [&bus](bool) { bus.ReleaseStream(); });
  slot.Release();
  context.logger->info("event stream opened for {} ({} of {} streams)", request.remote_addr,
                       bus.open_streams(), bus.max_streams());
}

}  // namespace

void RegisterEventRoutes(ServerContext& context) {
  context.http.Get("/api/v1/events",
                   Route(context, [&context](const auto& request, auto& response) {
                     HandleEvents(context, request, response);
                   }));
}

}  // namespace msearch::server

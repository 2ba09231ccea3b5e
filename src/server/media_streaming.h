#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include <httplib.h>

namespace msearch::server {

// The part of a resource of known size that a Range header requests.
struct RangeRequest {
  enum class Kind {
    kWhole,          // no Range header, or one the server ignores (another
                     // unit, several ranges): respond 200 with everything
    kPartial,        // one satisfiable range: respond 206 with [first, last]
    kUnsatisfiable,  // respond 416 with "Content-Range: bytes */<size>"
  };
  Kind kind = Kind::kWhole;
  uint64_t first = 0;  // inclusive
  uint64_t last = 0;   // inclusive
};

// Interprets a Range header value for a resource of `size` bytes (RFC 9110,
// section 14): "bytes=first-last", "bytes=first-" and "bytes=-suffix". A last
// position beyond the end is cut to the end. A range that starts at or past
// the end, a suffix of 0 bytes, a range whose last position is before its
// first and any range of an empty resource are unsatisfiable. Malformed
// values are unsatisfiable too, because a client that sends one expects
// partial content it cannot get.
RangeRequest ParseRange(std::string_view header, uint64_t size);

// The media type of a file from its extension, e.g. "video/mp4", or
// "application/octet-stream" for unknown extensions.
std::string MediaContentType(const std::filesystem::path& file);

// Sends `file` as the response: 200 with the whole file, or 206 with
// Content-Range for a satisfiable Range header. The file is read in pieces
// while the response is written, so large videos are never held in memory.
// Sets Accept-Ranges, Content-Type from the extension and Last-Modified.
// Throws ApiError 404 when the file cannot be opened and 416 (with
// "Content-Range: bytes */<size>") for an unsatisfiable range.
void SendFile(const httplib::Request& request, httplib::Response& response,
              const std::filesystem::path& file);

}  // namespace msearch::server

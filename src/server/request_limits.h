#pragma once

#include <cstddef>
#include <string_view>

namespace msearch::server {

// Maximum request body sizes in bytes. Larger bodies get 413 before they are
// read.

// JSON and form bodies.
inline constexpr size_t kMaxBodyBytes = 8 * 1024 * 1024;
// Search queries with an uploaded image or audio file, which are read in memory.
inline constexpr size_t kMaxSearchUploadBytes = 64 * 1024 * 1024;
// POST /api/v1/files/upload, which streams the file to disk.
inline constexpr size_t kMaxUploadBytes = 512 * 1024 * 1024;
// Room for the multipart headers and boundaries around an uploaded file.
inline constexpr size_t kMultipartOverheadBytes = 64 * 1024;

// The largest body accepted for `method` and `path`.
size_t MaxBodyBytes(std::string_view method, std::string_view path);

// True for the routes that stream their body to disk instead of reading it
// into memory. Only these accept chunked bodies without Content-Length.
bool StreamsBody(std::string_view method, std::string_view path);

}  // namespace msearch::server

#include "server/request_limits.h"

namespace msearch::server {

size_t MaxBodyBytes(std::string_view method, std::string_view path) {
  if (method != "POST") return kMaxBodyBytes;
  if (path == "/api/v1/files/upload") return kMaxUploadBytes + kMultipartOverheadBytes;
  if (path == "/api/v1/search/image" || path == "/api/v1/search/audio" ||
      path == "/api/v1/search/video") {
    return kMaxSearchUploadBytes + kMultipartOverheadBytes;
  }
  return kMaxBodyBytes;
}

bool StreamsBody(std::string_view method, std::string_view path) {
  return method == "POST" && path == "/api/v1/files/upload";
}

}  // namespace msearch::server

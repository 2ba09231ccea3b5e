#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

namespace msearch::models {

struct HttpOptions {
  std::string bearer_token;  // sent as "Authorization: Bearer"; never logged
  long connect_timeout_seconds = 30;
  long stall_timeout_seconds = 60;  // a transfer slower than 1 byte/s for this long fails
};

// The outcome of one request. `curl_code` is a CURLcode; 0 means the
// transfer finished and `status` is the final HTTP status.
struct HttpResult {
  int curl_code = 0;
  long status = 0;
  std::string error;  // libcurl's message when curl_code != 0
  std::string body;   // Get: the body; Download: the body of an error status (at most 64 KiB)

  bool ok() const { return curl_code == 0 && status >= 200 && status < 300; }
  // True for failures worth retrying: connection errors, cut or stalled
  // transfers, HTTP 408, 429 and 5xx.
  bool transient() const;
};

// Called during a download with the bytes of the file present so far
// (including resumed bytes) and the expected total (0 when unknown).
using DownloadProgress = std::function<void(uint64_t done, uint64_t total)>;

// Blocking HTTP(S) GET with libcurl, following redirects. Proxies come from
// the environment as libcurl reads them: http_proxy, HTTPS_PROXY and NO_PROXY.
// libcurl ignores upper-case HTTP_PROXY, so this class applies it when
// http_proxy is unset. The bearer token is sent only to the host of the
// request URL, not to redirect targets. Each call uses its own curl handle,
// so one HttpClient may serve several threads.
class HttpClient {
 public:
  explicit HttpClient(HttpOptions options);

  // Fetches `url` into memory.
  HttpResult Get(const std::string& url) const;

  // Appends `url` to `part`, resuming with a Range request from the file's
  // current size. When the server ignores the range (status 200), the file is
  // rewritten from the start. A 416 reply for a file already `expected_size`
  // long counts as success. Throws msearch::Error when `part` cannot be written.
  HttpResult Download(const std::string& url, const std::filesystem::path& part,
                      uint64_t expected_size, const DownloadProgress& progress) const;

 private:
  HttpOptions options_;
};

// Escapes `text` for one URL path segment (every '/' escaped too).
std::string EscapeUrlSegment(const std::string& text);

}  // namespace msearch::models

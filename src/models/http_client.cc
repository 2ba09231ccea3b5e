#include "models/http_client.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>

#include <curl/curl.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include "common/error.h"

namespace msearch::models {
namespace {

constexpr size_t kMaxErrorBody = 64 * 1024;

void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct CurlDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

std::string EnvValue(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

std::unique_ptr<CURL, CurlDeleter> NewHandle(const std::string& url, const HttpOptions& options) {
  InitCurlOnce();
  std::unique_ptr<CURL, CurlDeleter> handle(curl_easy_init());
  if (!handle) throw Error("libcurl failed to create a handle");
  CURL* curl = handle.get();
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "msearch/0.1 (+libcurl)");
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, options.connect_timeout_seconds);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, options.stall_timeout_seconds);
  if (url.rfind("http://", 0) == 0 && EnvValue("http_proxy").empty() &&
      !EnvValue("HTTP_PROXY").empty()) {
    // libcurl reads only the lower-case name for plain HTTP. Setting the
    // proxy explicitly bypasses its NO_PROXY lookup, so pass that on too.
    curl_easy_setopt(curl, CURLOPT_PROXY, EnvValue("HTTP_PROXY").c_str());
    std::string no_proxy =
        EnvValue("no_proxy").empty() ? EnvValue("NO_PROXY") : EnvValue("no_proxy");
    curl_easy_setopt(curl, CURLOPT_NOPROXY, no_proxy.c_str());
  }
  if (!options.bearer_token.empty()) {
    // libcurl's own bearer authentication, unlike a custom header, is not
    // sent to the other hosts that redirects lead to (the hub's CDN).
    curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BEARER);
    curl_easy_setopt(curl, CURLOPT_XOAUTH2_BEARER, options.bearer_token.c_str());
  }
  return handle;
}

size_t AppendToString(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

// The destination of a download's body: the part file for a success status,
// a bounded buffer for an error status.
struct DownloadSink {
  CURL* curl = nullptr;
  int fd = -1;
  uint64_t start_offset = 0;
  uint64_t written = 0;
  bool decided = false;
  bool to_file = false;
  std::string error_body;
  int write_errno = 0;
};

size_t WriteDownload(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<DownloadSink*>(user);
  size_t bytes = size * count;
  if (!sink->decided) {
    sink->decided = true;
    long status = 0;
    curl_easy_getinfo(sink->curl, CURLINFO_RESPONSE_CODE, &status);
    sink->to_file = status == 200 || status == 206;
    if (status == 200 && sink->start_offset > 0) {
      // The server ignored the Range header and sends the whole file.
      if (ftruncate(sink->fd, 0) != 0 || lseek(sink->fd, 0, SEEK_SET) != 0) {
        sink->write_errno = errno;
        return 0;
      }
      sink->start_offset = 0;
    }
  }
  if (!sink->to_file) {
    if (sink->error_body.size() < kMaxErrorBody) sink->error_body.append(data, bytes);
    return bytes;
  }
  size_t done = 0;
  while (done < bytes) {
    ssize_t n = write(sink->fd, data + done, bytes - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      sink->write_errno = errno;
      return 0;  // makes libcurl stop with CURLE_WRITE_ERROR
    }
    done += static_cast<size_t>(n);
  }
  sink->written += bytes;
  return bytes;
}

struct ProgressState {
  const DownloadProgress* progress = nullptr;
  const DownloadSink* sink = nullptr;
  uint64_t expected_size = 0;
};

int ReportProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* state = static_cast<ProgressState*>(user);
  if (state->sink->to_file && *state->progress) {
    (*state->progress)(state->sink->start_offset + state->sink->written, state->expected_size);
  }
  return 0;
}

HttpResult Perform(CURL* curl, const char* error_buffer) {
  HttpResult result;
  CURLcode code = curl_easy_perform(curl);
  result.curl_code = static_cast<int>(code);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &result.status);
  if (code != CURLE_OK) {
    result.error = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(code);
  }
  return result;
}

}  // namespace

bool HttpResult::transient() const {
  if (curl_code != 0) {
    switch (static_cast<CURLcode>(curl_code)) {
      case CURLE_COULDNT_RESOLVE_PROXY:
      case CURLE_COULDNT_RESOLVE_HOST:
      case CURLE_COULDNT_CONNECT:
      case CURLE_PARTIAL_FILE:
      case CURLE_OPERATION_TIMEDOUT:
      case CURLE_GOT_NOTHING:
      case CURLE_SEND_ERROR:
      case CURLE_RECV_ERROR:
      case CURLE_HTTP2:
      case CURLE_HTTP2_STREAM:
      case CURLE_SSL_CONNECT_ERROR:
        return true;
      default:
        return false;
    }
  }
  return status == 408 || status == 429 || status >= 500;
}

HttpClient::HttpClient(HttpOptions options) : options_(std::move(options)) {}

HttpResult HttpClient::Get(const std::string& url) const {
  auto handle = NewHandle(url, options_);
  char error_buffer[CURL_ERROR_SIZE] = {};
  std::string body;
  curl_easy_setopt(handle.get(), CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(handle.get(), CURLOPT_WRITEFUNCTION, AppendToString);
  curl_easy_setopt(handle.get(), CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(handle.get(), CURLOPT_ACCEPT_ENCODING, "");
  HttpResult result = Perform(handle.get(), error_buffer);
  result.body = std::move(body);
  return result;
}

HttpResult HttpClient::Download(const std::string& url, const std::filesystem::path& part,
                                uint64_t expected_size, const DownloadProgress& progress) const {
  int fd = open(part.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw Error(
        fmt::format("cannot open '{}' for writing: {}", part.string(), std::strerror(errno)));
  }
  off_t existing = lseek(fd, 0, SEEK_END);
  DownloadSink sink;
  sink.fd = fd;
  sink.start_offset = existing > 0 ? static_cast<uint64_t>(existing) : 0;

  auto handle = NewHandle(url, options_);
  CURL* curl = handle.get();
  sink.curl = curl;
  char error_buffer[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, WriteDownload);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
  std::string range;
  if (sink.start_offset > 0) {
    // CURLOPT_RANGE rather than CURLOPT_RESUME_FROM, because with the latter
    // libcurl fails when a server returns 200, a case WriteDownload handles.
    range = fmt::format("{}-", sink.start_offset);
    curl_easy_setopt(curl, CURLOPT_RANGE, range.c_str());
  }
  ProgressState progress_state{&progress, &sink, expected_size};
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, ReportProgress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &progress_state);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);

  HttpResult result = Perform(curl, error_buffer);
  int close_result = close(fd);
  if (sink.write_errno != 0 || close_result != 0) {
    throw Error(fmt::format("writing '{}' failed: {}", part.string(),
                            std::strerror(sink.write_errno != 0 ? sink.write_errno : errno)));
  }
  result.body = std::move(sink.error_body);
  if (result.curl_code == 0 && result.status == 416 && expected_size > 0 &&
      sink.start_offset == expected_size) {
    result.status = 206;  // the file was already complete
  }
  if (progress && result.ok()) progress(sink.start_offset + sink.written, expected_size);
  return result;
}

std::string EscapeUrlSegment(const std::string& text) {
  InitCurlOnce();
  char* escaped = curl_easy_escape(nullptr, text.c_str(), static_cast<int>(text.size()));
  if (escaped == nullptr) throw Error("libcurl failed to escape a URL segment");
  std::string result = escaped;
  curl_free(escaped);
  return result;
}

}  // namespace msearch::models

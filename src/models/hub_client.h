#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "models/http_client.h"
#include "models/model_name.h"

namespace msearch::models {

// One file of a hub repository at a revision.
struct HubFile {
  std::string path;    // relative to the repository root
  uint64_t size = 0;   // bytes
  std::string sha256;  // lower-case hex for files stored with Git LFS, else empty
};

struct HubRepoInfo {
  std::string commit;  // the commit the revision resolved to; empty if not reported
  std::vector<HubFile> files;
};

// Retry policy for transient HTTP failures: exponential backoff from
// `base_seconds`, capped at `max_seconds`.
struct RetryPolicy {
  int max_attempts = 5;
  double base_seconds = 1;
  double max_seconds = 30;
};

// The Hugging Face hub HTTP API at one endpoint (https://huggingface.co or a
// mirror with the same URL layout).
class HubClient {
 public:
  HubClient(std::string endpoint, HttpOptions http_options, RetryPolicy retry = {});

  const std::string& endpoint() const { return endpoint_; }
  const HttpClient& http() const { return http_; }
  const RetryPolicy& retry() const { return retry_; }

  // Lists the files of `ref` with sizes and LFS checksums:
  // GET {endpoint}/api/models/{repo}/revision/{revision}?blobs=true, the
  // request huggingface_hub's model_info(files_metadata=True) sends. Retries
  // transient failures. Throws msearch::Error when the model or revision does
  // not exist (HTTP 401 or 404, because the hub may return 401 for a
  // repository the client cannot see), on other HTTP errors, and on an
  // unexpected reply.
  HubRepoInfo GetRepoInfo(const HubModelRef& ref) const;

  // {endpoint}/{repo}/resolve/{revision}/{path}
  std::string ResolveUrl(const std::string& repo_id, const std::string& revision,
                         const std::string& path) const;

 private:
  std::string endpoint_;
  HttpClient http_;
  RetryPolicy retry_;
};

// Seconds to wait before retry number `attempt` (1 for the first retry).
double RetryDelaySeconds(const RetryPolicy& policy, int attempt);

}  // namespace msearch::models

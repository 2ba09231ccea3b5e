#include "models/hub_client.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "common/error.h"

namespace msearch::models {
namespace {

// Escapes each '/'-separated part of a file path for a URL.
std::string EscapePath(const std::string& path) {
  std::string escaped;
  size_t start = 0;
  while (true) {
    size_t slash = path.find('/', start);
    escaped += EscapeUrlSegment(path.substr(start, slash - start));
    if (slash == std::string::npos) break;
    escaped += '/';
    start = slash + 1;
  }
  return escaped;
}

std::string DescribeFailure(const HttpResult& result) {
  if (result.curl_code != 0) return result.error;
  return fmt::format("HTTP {}", result.status);
}

HubRepoInfo ParseRepoInfo(const std::string& body, const std::string& url) {
  nlohmann::json document = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded() || !document.is_object() || !document.contains("siblings") ||
      !document["siblings"].is_array()) {
    throw Error(
        fmt::format("unexpected reply from '{}': expected a JSON object with 'siblings'", url));
  }
  HubRepoInfo info;
  if (document.contains("sha") && document["sha"].is_string()) {
    info.commit = document["sha"].get<std::string>();
  }
  for (const nlohmann::json& sibling : document["siblings"]) {
    if (!sibling.is_object() || !sibling.contains("rfilename") ||
        !sibling["rfilename"].is_string()) {
      throw Error(fmt::format("unexpected reply from '{}': a sibling has no 'rfilename'", url));
    }
    HubFile file;
    file.path = sibling["rfilename"].get<std::string>();
    if (sibling.contains("size") && sibling["size"].is_number_unsigned()) {
      file.size = sibling["size"].get<uint64_t>();
    }
    if (sibling.contains("lfs") && sibling["lfs"].is_object()) {
      const nlohmann::json& lfs = sibling["lfs"];
      if (lfs.contains("sha256") && lfs["sha256"].is_string()) {
        file.sha256 = lfs["sha256"].get<std::string>();
      }
      if (lfs.contains("size") && lfs["size"].is_number_unsigned()) {
        file.size = lfs["size"].get<uint64_t>();
      }
    }
    info.files.push_back(std::move(file));
  }
  return info;
}

}  // namespace

double RetryDelaySeconds(const RetryPolicy& policy, int attempt) {
  return std::min(policy.max_seconds, policy.base_seconds * std::pow(2.0, attempt - 1));
}

HubClient::HubClient(std::string endpoint, HttpOptions http_options, RetryPolicy retry)
    : endpoint_(std::move(endpoint)), http_(std::move(http_options)), retry_(retry) {
  while (!endpoint_.empty() && endpoint_.back() == '/') endpoint_.pop_back();
}

HubRepoInfo HubClient::GetRepoInfo(const HubModelRef& ref) const {
  std::string url = fmt::format("{}/api/models/{}/revision/{}?blobs=true", endpoint_, ref.repo_id,
                                EscapeUrlSegment(ref.revision));
  for (int attempt = 1;; ++attempt) {
    HttpResult result = http_.Get(url);
    if (result.ok()) return ParseRepoInfo(result.body, url);
    if (result.curl_code == 0 && (result.status == 401 || result.status == 404)) {
      throw Error(
          fmt::format("model '{}' at revision '{}' was not found on {} (HTTP {}); check the id and "
                      "revision, and set HF_TOKEN if the model is private or gated",
                      ref.repo_id, ref.revision, endpoint_, result.status));
    }
    if (!result.transient() || attempt >= retry_.max_attempts) {
      throw Error(fmt::format("listing the files of model '{}' failed: GET {}: {}", ref.repo_id,
                              url, DescribeFailure(result)));
    }
    double delay = RetryDelaySeconds(retry_, attempt);
    spdlog::warn("GET {} failed ({}); retry {} of {} in {:.1f} s", url, DescribeFailure(result),
                 attempt, retry_.max_attempts - 1, delay);
    std::this_thread::sleep_for(std::chrono::duration<double>(delay));
  }
}

std::string HubClient::ResolveUrl(const std::string& repo_id, const std::string& revision,
                                  const std::string& path) const {
  return fmt::format("{}/{}/resolve/{}/{}", endpoint_, repo_id, EscapeUrlSegment(revision),
                     EscapePath(path));
}

}  // namespace msearch::models

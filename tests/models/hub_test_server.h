#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <httplib.h>

namespace msearch::models::testing {

// A stand-in for the Hugging Face hub on 127.0.0.1 that serves model folders
// in the hub's URL layout:
//   GET /api/models/{owner}/{name}/revision/{rev}  JSON with sha and siblings
//       (rfilename, size, and lfs.sha256 for *.safetensors files)
//   GET /{owner}/{name}/resolve/{rev}/{file}       the file; LFS files return
//       a 302 redirect to /cdn/..., as the hub redirects to its CDN
// Range requests are served (cpp-httplib slices set_content replies). Unknown
// repositories get 401 and an unknown revision gets 404.
class HubTestServer {
 public:
  HubTestServer();
  ~HubTestServer();

  HubTestServer(const HubTestServer&) = delete;
  HubTestServer& operator=(const HubTestServer&) = delete;

  std::string endpoint() const;

  // Serves the top-level files of `dir` as `repo_id` at revisions "main" and
  // kCommit.
  void AddModel(const std::string& repo_id, const std::filesystem::path& dir);
  // Lists a wrong SHA-256 for `file` in the API reply.
  void CorruptChecksum(const std::string& repo_id, const std::string& file);
  // The first download of `file` stops after `bytes` and drops the connection.
  void CutOnce(const std::string& repo_id, const std::string& file, size_t bytes);

  // Downloads of `file` that asked for a range starting after byte 0.
  int ResumedRequests(const std::string& repo_id, const std::string& file) const;

  static constexpr const char* kCommit = "4cc2b6a1d0e5f3c2b1a0f9e8d7c6b5a4f3e2d1c0";

 private:
  struct ServedFile {
    std::string content;
    std::string sha256;  // listed for LFS files
    bool lfs = false;
    size_t cut_after = 0;  // 0: never cut
    int resumed_requests = 0;
  };
  using Repo = std::map<std::string, ServedFile>;

  void HandleApi(const httplib::Request& request, httplib::Response& response);
  void HandleResolve(const httplib::Request& request, httplib::Response& response, bool cdn);

  mutable std::mutex mutex_;
  std::map<std::string, Repo> repos_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

// Copies the top-level files of a fixture folder into `target` with owner
// write permission, so that tests can damage the copies.
void CopyWritable(const std::filesystem::path& source, const std::filesystem::path& target);

}  // namespace msearch::models::testing

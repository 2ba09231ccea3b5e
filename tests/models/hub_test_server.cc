#include "hub_test_server.h"

#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "models/file_digest.h"

namespace msearch::models::testing {
namespace fs = std::filesystem;

HubTestServer::HubTestServer() {
  server_.Get(R"(/api/models/([^/]+)/([^/]+)/revision/([^/]+))",
              [this](const httplib::Request& request, httplib::Response& response) {
                HandleApi(request, response);
              });
  server_.Get(R"(/([^/]+)/([^/]+)/resolve/([^/]+)/(.+))",
              [this](const httplib::Request& request, httplib::Response& response) {
                HandleResolve(request, response, /*cdn=*/false);
              });
  server_.Get(R"(/cdn/([^/]+)/([^/]+)/([^/]+)/(.+))",
              [this](const httplib::Request& request, httplib::Response& response) {
                HandleResolve(request, response, /*cdn=*/true);
              });
  port_ = server_.bind_to_any_port("127.0.0.1");
  if (port_ <= 0) throw std::runtime_error("test hub server cannot bind to 127.0.0.1");
  thread_ = std::thread([this] { server_.listen_after_bind(); });
  // cpp-httplib's stop() does nothing before the accept loop runs, so a test
  // that ends at once (a skipped one) would otherwise hang in the destructor.
  for (int i = 0; i < 5000 && !server_.is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

HubTestServer::~HubTestServer() {
  server_.stop();
  thread_.join();
}

std::string HubTestServer::endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

void HubTestServer::AddModel(const std::string& repo_id, const fs::path& dir) {
  Repo repo;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream stream(entry.path(), std::ios::binary);
    std::stringstream content;
    content << stream.rdbuf();
    ServedFile file;
    file.content = content.str();
    file.lfs = entry.path().extension() == ".safetensors" || entry.path().extension() == ".bin";
    if (file.lfs) file.sha256 = Sha256File(entry.path());
    repo[entry.path().filename().string()] = std::move(file);
  }
  std::lock_guard lock(mutex_);
  repos_[repo_id] = std::move(repo);
}

void HubTestServer::CorruptChecksum(const std::string& repo_id, const std::string& file) {
  std::lock_guard lock(mutex_);
  repos_.at(repo_id).at(file).sha256 = std::string(64, '0');
}

void HubTestServer::CutOnce(const std::string& repo_id, const std::string& file, size_t bytes) {
  std::lock_guard lock(mutex_);
  repos_.at(repo_id).at(file).cut_after = bytes;
}

int HubTestServer::ResumedRequests(const std::string& repo_id, const std::string& file) const {
  std::lock_guard lock(mutex_);
  return repos_.at(repo_id).at(file).resumed_requests;
}

void HubTestServer::HandleApi(const httplib::Request& request, httplib::Response& response) {
  std::string repo_id = std::string(request.matches[1]) + "/" + std::string(request.matches[2]);
  std::string revision = request.matches[3];
  std::lock_guard lock(mutex_);
  auto repo = repos_.find(repo_id);
  if (repo == repos_.end()) {
    response.status = 401;
    response.set_content(R"({"error":"Repository not found"})", "application/json");
    return;
  }
  if (revision != "main" && revision != kCommit) {
    response.status = 404;
    response.set_content(R"({"error":"Invalid rev id"})", "application/json");
    return;
  }
  nlohmann::json siblings = nlohmann::json::array();
  for (const auto& [name, file] : repo->second) {
    nlohmann::json sibling = {{"rfilename", name}, {"size", file.content.size()}};
    if (file.lfs) {
      sibling["lfs"] = {
          {"sha256", file.sha256}, {"size", file.content.size()}, {"pointerSize", 134}};
    }
    siblings.push_back(sibling);
  }
  nlohmann::json reply = {{"id", repo_id}, {"sha", kCommit}, {"siblings", siblings}};
  response.set_content(reply.dump(), "application/json");
}

void HubTestServer::HandleResolve(const httplib::Request& request, httplib::Response& response,
                                  bool cdn) {
  std::string repo_id = std::string(request.matches[1]) + "/" + std::string(request.matches[2]);
  std::string revision = request.matches[3];
  std::string name = request.matches[4];
  std::lock_guard lock(mutex_);
  auto repo = repos_.find(repo_id);
  if (repo == repos_.end() || (revision != "main" && revision != kCommit) ||
      repo->second.count(name) == 0) {
    response.status = 404;
    return;
  }
  ServedFile& file = repo->second.at(name);
  if (file.lfs && !cdn) {
    response.set_redirect("/cdn/" + repo_id + "/" + revision + "/" + name);
    return;
  }
  if (!request.ranges.empty() && request.ranges[0].first > 0) ++file.resumed_requests;
  if (file.cut_after > 0) {
    size_t cut = file.cut_after;
    file.cut_after = 0;
    const std::string* content = &file.content;
    response.set_content_provider(
        content->size(), "application/octet-stream",
        [content, cut](size_t offset, size_t length, httplib::DataSink& sink) {
          if (offset >= cut) return false;  // drops the connection
          sink.write(content->data() + offset, std::min(length, cut - offset));
          return true;
        });
    return;
  }
  response.set_content(file.content, "application/octet-stream");
}

void CopyWritable(const fs::path& source, const fs::path& target) {
  fs::create_directories(target);
  for (const fs::directory_entry& entry : fs::directory_iterator(source)) {
    if (!entry.is_regular_file()) continue;
    fs::path copy = target / entry.path().filename();
    fs::copy_file(entry.path(), copy);
    fs::permissions(copy, fs::perms::owner_write, fs::perm_options::add);
  }
}

}  // namespace msearch::models::testing

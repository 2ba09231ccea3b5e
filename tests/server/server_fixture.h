#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "config/config.h"
#include "server/api_server.h"
#include "store/catalog.h"
#include "support/temp_dir.h"

namespace msearch::server {

// What the server reported through its hooks. Hooks run on server threads
// before the response is sent, so a test reads them after the response.
struct HookRecord {
  std::mutex mutex;
  int directories_changed = 0;
  std::vector<std::vector<std::string>> work_queued;
  std::vector<std::optional<int64_t>> rescans;
  std::vector<std::vector<int64_t>> files_removed;
  nlohmann::json processes = nlohmann::json::array();
  nlohmann::json index_status = nlohmann::json::array();
  std::vector<std::string> query_models_loaded;
};

struct CataloguedFile {
  int64_t id = 0;
  std::string uuid;
  std::filesystem::path path;
};

// A server on 127.0.0.1 with an ephemeral port over a catalog and a task
// queue in a temporary folder. The media folder contains four catalogued files:
// - photo: "sunset_beach.jpg", probed (640x480 jpeg, tag title "Golden hour"),
//   with a thumbnail inside the thumbnail folder;
// - song: "项目会议记录_北京.mp3", not probed, no thumbnail;
// - clip: "holiday clip.mp4", thumbnail is a symbolic link out of the folder;
// - voice: "voice_memo.wav", thumbnail recorded as "../secret.txt".
// The queue contains pending, running, completed and failed tasks.
class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Creates the configuration and data without starting the server.
  void PrepareData();
  void StartServer();

  httplib::Client Client() const;
  static httplib::Client ClientFor(int port);

  store::Catalog OpenCatalog() const;

  testing::TempDir temp_;
  config::Config config_;
  EventStreamOptions event_options_;
  std::shared_ptr<HookRecord> hooks_ = std::make_shared<HookRecord>();
  std::unique_ptr<ApiServer> server_;

  std::filesystem::path media_dir_;
  std::filesystem::path secret_file_;  // outside every served folder
  int64_t directory_id_ = 0;
  CataloguedFile photo_;
  CataloguedFile song_;
  CataloguedFile clip_;
  CataloguedFile voice_;
  std::string photo_thumbnail_bytes_;

  std::string pending_probe_id_;      // pending, type probe
  std::string pending_thumbnail_id_;  // pending, type thumbnail
  std::string running_id_;            // processing, type probe
  std::string completed_id_;          // completed, type probe
  std::string failed_id_;             // failed, type embed
};

// The log folder of this test process; the server writes api_server.log there.
const std::filesystem::path& TestLogDir();

ServerHooks MakeHooks(const std::shared_ptr<HookRecord>& record);

// Parses a response body as JSON; fails the test when it is not JSON.
nlohmann::json JsonBody(const httplib::Result& result);

// Checks an ErrorResponse: the status and the fields error, message, detail
// and timestamp.
void ExpectError(const httplib::Result& result, int status, const std::string& context = "");

void ExpectIso8601(const nlohmann::json& value, const std::string& field);

}  // namespace msearch::server

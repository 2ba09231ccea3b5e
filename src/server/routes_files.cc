#include <array>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "server/http_response.h"
#include "server/json_responses.h"
#include "server/request_params.h"
#include "server/server_context.h"
#include "server/thumbnail_access.h"

namespace msearch::server {
namespace {

constexpr std::array<std::string_view, 3> kFileTypes = {"image", "video", "audio"};
constexpr int64_t kDefaultFileLimit = 100;
constexpr int64_t kMaxFileLimit = 1000;

void HandleListFiles(ServerContext& context, const httplib::Request& request,
                     httplib::Response& response) {
  store::FileFilter filter;
  filter.kind = ChoiceParam(request, "file_type", kFileTypes);
  filter.indexed_only = BoolParam(request, "indexed_only", false);
  filter.limit = IntParam(request, "limit", kDefaultFileLimit, 1, kMaxFileLimit);
  filter.offset = IntParam(request, "offset", 0, 0, std::numeric_limits<int64_t>::max());

  DatabasePool::Lease lease = context.databases.Acquire();
  store::Catalog& catalog = lease.catalog();
  int64_t total = catalog.CountFiles(filter);
  nlohmann::json files = nlohmann::json::array();
  for (const store::FileRecord& file : catalog.ListFiles(filter)) {
    files.push_back(FileInfoJson(file));
  }
  WriteJson(response, {
                          {"total_files", total},
                          {"files", std::move(files)},
                          {"limit", filter.limit},
                          {"offset", filter.offset},
                      });
}

void HandleGetFile(ServerContext& context, const httplib::Request& request,
                   httplib::Response& response) {
  std::string uuid = request.matches[1];
  DatabasePool::Lease lease = context.databases.Acquire();
  store::Catalog& catalog = lease.catalog();
  std::optional<store::FileRecord> file = catalog.FindFileByUuid(uuid);
  if (!file) {
    throw NotFound(fmt::format("no file with uuid '{}' in the catalog", uuid),
                   {{"file_uuid", uuid}});
  }
  nlohmann::json info = FileInfoJson(*file);
  info["metadata"] = MetadataJson(*file, catalog.GetMediaInfo(file->id));
  WriteJson(response, info);
}

std::string ReadThumbnail(const std::filesystem::path& thumbnail, const std::string& file_path) {
  std::error_code error;
  uintmax_t size = std::filesystem::file_size(thumbnail, error);
  std::ifstream input(thumbnail, std::ios::binary);
  if (error || !input) {
    throw NotFound(fmt::format("the thumbnail of '{}' cannot be read", file_path),
                   {{"path", file_path}});
  }
  std::string bytes(size, '\0');
  input.read(bytes.data(), static_cast<std::streamsize>(size));
  bytes.resize(static_cast<size_t>(input.gcount()));
  return bytes;
}

void HandleThumbnail(ServerContext& context, const httplib::Request& request,
                     httplib::Response& response) {
  std::string path = RequireParam(request, "path");
  std::filesystem::path thumbnail;
  {
    DatabasePool::Lease lease = context.databases.Acquire();
    thumbnail = ResolveThumbnail(lease.catalog(), context.config.storage.thumbnail_dir, path);
  }

  std::string bytes = ReadThumbnail(thumbnail, path);
  response.set_header("Cache-Control", "private, max-age=60");
  response.set_content(bytes, ThumbnailContentType(thumbnail));
}

}  // namespace

void RegisterFileRoutes(ServerContext& context) {
  httplib::Server& http = context.http;
  http.Get("/api/v1/files/list", Route(context, [&context](const auto& request, auto& response) {
             HandleListFiles(context, request, response);
           }));
  http.Get("/api/v1/files/thumbnail",
           Route(context, [&context](const auto& request, auto& response) {
             HandleThumbnail(context, request, response);
           }));
  http.Get(R"(/api/v1/files/([^/]+))",
           Route(context, [&context](const auto& request, auto& response) {
             HandleGetFile(context, request, response);
           }));
}

}  // namespace msearch::server

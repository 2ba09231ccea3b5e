#include <array>
#include <filesystem>
#include <limits>

#include <fmt/format.h>

#include "server/file_media_handlers.h"
#include "server/http_response.h"
#include "server/json_responses.h"
#include "server/request_params.h"
#include "server/server_context.h"
#include "server/thumbnail_access.h"
#include "store/extraction_store.h"

namespace msearch::server {
namespace {

constexpr std::array<std::string_view, 3> kFileTypes = {"image", "video", "audio"};
constexpr std::array<std::string_view, 2> kTracks = {"video", "audio"};
constexpr int64_t kDefaultFileLimit = 100;
constexpr int64_t kMaxFileLimit = 1000;
// UUIDs are 36 characters, so anything much longer cannot be a file's.
constexpr size_t kMaxUuidBytes = 64;

store::FileRecord RequireFile(store::Catalog& catalog, const std::string& uuid) {
  std::optional<store::FileRecord> file;
  if (uuid.size() <= kMaxUuidBytes) file = catalog.FindFileByUuid(uuid);
  if (!file) {
    throw NotFound(fmt::format("no file with uuid '{}' in the catalog", uuid),
                   {{"file_uuid", uuid}});
  }
  return *file;
}

void SendThumbnail(httplib::Response& response, const std::filesystem::path& thumbnail,
                   const std::string& owner) {
  std::string bytes = ReadThumbnailFile(thumbnail, owner);
  response.set_header("Cache-Control", "private, max-age=60");
  response.set_content(bytes, ThumbnailContentType(thumbnail));
}

void HandleListFiles(ServerContext& context, const httplib::Request& request,
                     httplib::Response& response) {
  store::FileFilter filter;
  filter.kind = ChoiceParam(request, "file_type", kFileTypes);
  filter.indexed_only = BoolParam(request, "indexed_only", false);
  filter.directory_id =
      OptionalIntParam(request, "directory_id", 1, std::numeric_limits<int64_t>::max());
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
  DatabasePool::Lease lease = context.databases.Acquire();
  store::Catalog& catalog = lease.catalog();
  store::FileRecord file = RequireFile(catalog, request.matches[1]);
  nlohmann::json info = FileInfoJson(file);
  info["metadata"] = MetadataJson(file, catalog.GetMediaInfo(file.id));
  WriteJson(response, info);
}

void HandleThumbnail(ServerContext& context, const httplib::Request& request,
                     httplib::Response& response) {
  std::string path = RequireParam(request, "path");
  std::filesystem::path thumbnail;
  {
    DatabasePool::Lease lease = context.databases.Acquire();
    thumbnail = ResolveThumbnail(lease.catalog(), context.config.storage.thumbnail_dir, path);
  }
  SendThumbnail(response, thumbnail, fmt::format("'{}'", path));
}

void HandleFileThumbnail(ServerContext& context, const httplib::Request& request,
                         httplib::Response& response) {
  store::FileRecord file;
  {
    DatabasePool::Lease lease = context.databases.Acquire();
    file = RequireFile(lease.catalog(), request.matches[1]);
  }
  std::string owner = fmt::format("'{}'", file.path);
  if (!file.thumbnail_path) {
    throw NotFound(fmt::format("the file {} has no thumbnail yet", owner),
                   {{"file_uuid", file.uuid}});
  }
  SendThumbnail(
      response,
      ResolveRecordedThumbnail(context.config.storage.thumbnail_dir, *file.thumbnail_path, owner),
      owner);
}

nlohmann::json SegmentJson(const store::FileRecord& file, const store::SegmentRecord& segment) {
  nlohmann::json thumbnail_url = nullptr;
  if (segment.thumbnail_path) {
    thumbnail_url = fmt::format("/api/v1/files/{}/segments/{}/{}/thumbnail", file.uuid,
                                segment.track, segment.index);
  }
  return {
      {"track", segment.track},
      {"index", segment.index},
      {"start", segment.start_s},
      {"end", segment.end_s},
      {"centre", (segment.start_s + segment.end_s) / 2},
      {"representative", segment.representative_s},
      {"duration", segment.end_s - segment.start_s},
      {"has_thumbnail", segment.thumbnail_path.has_value()},
      {"thumbnail_url", std::move(thumbnail_url)},
      {"preview_url", fmt::format("{}#t={:.3f},{:.3f}", PreviewUrl(file).get<std::string>(),
                                  segment.start_s, segment.end_s)},
  };
}

void HandleSegments(ServerContext& context, const httplib::Request& request,
                    httplib::Response& response) {
  std::optional<std::string> track = ChoiceParam(request, "track", kTracks);
  DatabasePool::Lease lease = context.databases.Acquire();
  store::Catalog& catalog = lease.catalog();
  store::FileRecord file = RequireFile(catalog, request.matches[1]);
  store::ExtractionStore extraction(catalog.database());
  nlohmann::json segments = nlohmann::json::array();
  std::optional<std::string_view> track_filter;
  if (track) track_filter = *track;
  for (const store::SegmentRecord& segment : extraction.Segments(file.id, track_filter)) {
    segments.push_back(SegmentJson(file, segment));
  }
  size_t total = segments.size();
  WriteJson(response, {
                          {"file_uuid", file.uuid},
                          {"file_path", file.path},
                          {"file_type", file.kind},
                          {"total_segments", total},
                          {"segments", std::move(segments)},
                      });
}

void HandleSegmentThumbnail(ServerContext& context, const httplib::Request& request,
                            httplib::Response& response) {
  std::string track = request.matches[2];
  std::string index_text = request.matches[3];
  store::FileRecord file;
  std::optional<store::SegmentRecord> found;
  {
    DatabasePool::Lease lease = context.databases.Acquire();
    store::Catalog& catalog = lease.catalog();
    file = RequireFile(catalog, request.matches[1]);
    if (track == "video" || track == "audio") {
      store::ExtractionStore extraction(catalog.database());
      for (const store::SegmentRecord& segment : extraction.Segments(file.id, track)) {
        if (std::to_string(segment.index) == index_text) found = segment;
      }
    }
  }
  std::string owner = fmt::format("{} segment {} of '{}'", track, index_text, file.path);
  if (!found) {
    throw NotFound(fmt::format("no {}", owner),
                   {{"file_uuid", file.uuid}, {"track", track}, {"index", index_text}});
  }
  if (!found->thumbnail_path) {
    throw NotFound(fmt::format("the {} has no thumbnail", owner),
                   {{"file_uuid", file.uuid}, {"track", track}, {"index", index_text}});
  }
  SendThumbnail(
      response,
      ResolveRecordedThumbnail(context.config.storage.thumbnail_dir, *found->thumbnail_path, owner),
      owner);
}

}  // namespace

void RegisterFileRoutes(ServerContext& context) {
  RouteRecordingServer& http = context.http;
  // Fixed paths first: the uuid patterns below would match them too.
  http.Get("/api/v1/files/list", Route(context, [&context](const auto& request, auto& response) {
             HandleListFiles(context, request, response);
           }));
  http.Get("/api/v1/files/thumbnail",
           Route(context, [&context](const auto& request, auto& response) {
             HandleThumbnail(context, request, response);
           }));
  http.Get("/api/v1/files/preview", Route(context, [&context](const auto& request, auto& response) {
             HandlePreview(context, request, response);
           }));
  http.Post("/api/v1/files/upload",
            [&context](const httplib::Request& request, httplib::Response& response,
                       const httplib::ContentReader& content_reader) {
              Route(context, [&](const auto&, auto&) {
                HandleUpload(context, request, response, content_reader);
              })(request, response);
            });

  const std::string file = R"(/api/v1/files/([^/]+))";
  http.Get(file, Route(context, [&context](const auto& request, auto& response) {
             HandleGetFile(context, request, response);
           }));
  http.Get(file + "/media", Route(context, [&context](const auto& request, auto& response) {
             HandleFileMedia(context, request, response);
           }));
  http.Get(file + "/thumbnail", Route(context, [&context](const auto& request, auto& response) {
             HandleFileThumbnail(context, request, response);
           }));
  http.Get(file + "/segments", Route(context, [&context](const auto& request, auto& response) {
             HandleSegments(context, request, response);
           }));
  http.Get(file + R"(/segments/([^/]+)/([^/]+)/thumbnail)",
           Route(context, [&context](const auto& request, auto& response) {
             HandleSegmentThumbnail(context, request, response);
           }));
}

}  // namespace msearch::server

#include "server/openapi_builders.h"
#include "server/openapi_components.h"

namespace msearch::server::openapi {
namespace {

// The filters and sorting every search route takes besides its query.
Json SearchFilterProperties() {
  return Json::object(
      {{"file_type", Enum({"image", "video", "audio"})},
       {"file_types", Array(Enum({"image", "video", "audio"}),
                            "Only these kinds of file; a form sends them comma-separated")},
       {"directory", String("Only files below this absolute folder")},
       {"modified_after", String("ISO 8601 date or date-time (UTC without an offset), or Unix "
                                 "seconds; file modification time, inclusive")},
       {"modified_before", String("As modified_after")},
       {"min_size", Integer("Bytes, inclusive")},
       {"max_size", Integer("Bytes, inclusive")},
       {"sort_by", Enum({"score", "date", "size"},
                        "Default score; date and size order the best "
                        "top_k matches")},
       {"sort_order", Enum({"desc", "asc"}, "Default desc")}});
}

Json UploadSearchForm(std::string_view path_field) {
  Json schema = Object({{"file", Json::object({{"type", "string"}, {"format", "binary"}})},
                        {std::string(path_field),
                         String("Path of a file inside a watched directory or the upload area, "
                                "instead of an upload")},
                        {"top_k", Integer()},
                        {"threshold", Number()}});
  schema["properties"].update(SearchFilterProperties());
  return MultipartBody(schema);
}

Json FileUuid() { return Path("file_uuid", String(), "The file's uuid"); }

}  // namespace

Json SearchPaths() {
  Json paths = Json::object();
  Json text_body = Object({{"query", String("1 to 1000 characters")},
                           {"top_k", IntRange(1, 100, "Default 20")},
                           {"threshold", Number("0 to 1")},
                           {"file_type", Enum({"image", "video", "audio"})}},
                          {"query"});
  text_body["properties"].update(SearchFilterProperties());

  Json search = JsonResponse(Ref("SearchResponse"));
  paths["/api/v1/search/text"]["post"] =
      Operation("Search", "Search by text", nullptr, JsonBody(text_body),
                Json::object({{"200", search}}), {400, 503});

  paths["/api/v1/search/image"]["post"] = Operation(
      "Search", "Search by an image (upload or path)", nullptr, UploadSearchForm("query_image"),
      Json::object({{"200", search}}), {400, 403, 404, 413, 503});
  paths["/api/v1/search/audio"]["post"] = Operation(
      "Search", "Search by an audio clip (upload or path)", nullptr,
      UploadSearchForm("query_audio"), Json::object({{"200", search}}), {400, 403, 404, 413, 503});

  Json video_body = Object({{"query_video", String("Path inside a watched directory or the "
                                                   "upload area")},
                            {"top_k", IntRange(1, 100)},
                            {"threshold", Number()},
                            {"start_time", Number("Seconds")},
                            {"end_time", Number("Seconds")}},
                           {"query_video"});
  video_body["properties"].update(SearchFilterProperties());
  Json video_request = JsonBody(video_body);
  // The route also takes the clip as an upload, with the same fields as a form.
  Json video_form = video_body;
  video_form["properties"]["file"] = Json::object({{"type", "string"}, {"format", "binary"}});
  video_form.erase("required");
  video_request["content"]["multipart/form-data"] = Json::object({{"schema", video_form}});
  paths["/api/v1/search/video"]["post"] = Operation(
      "Search", "Search by a video clip (path or upload)", nullptr, std::move(video_request),
      Json::object({{"200", search}}), {400, 403, 404, 413, 503});
  return paths;
}

Json IndexAndFilePaths() {
  Json paths = Json::object();
  Json success = JsonResponse(Ref("SuccessResponse"));
  Json ok = Json::object({{"200", success}});

  paths["/api/v1/index/file"]["post"] =
      Operation("Index", "Rescan the watched directory holding a file", nullptr,
                FormBody(Object({{"file_path", String("Absolute path")}}, {"file_path"})), ok,
                {400, 403, 404});
  paths["/api/v1/index/directory"]["post"] =
      Operation("Index", "Watch a directory", nullptr,
                FormBody(Object({{"directory", String("Absolute path")},
                                 {"recursive", Enum({"true", "false"}, "Default true")}},
                                {"directory"})),
                ok, {400});
  paths["/api/v1/index/reindex-all"]["post"] =
      Operation("Index", "Rescan all watched directories, or one", nullptr,
                FormBody(Object({{"directory_id", Integer()}}), false), ok, {400, 404});
  paths["/api/v1/index/add"]["post"] = Operation(
      "Index", "Index files and directories", nullptr,
      JsonBody(Object({{"file_paths", Array(String(), "1 to 1000 absolute paths")},
                       {"recursive", Boolean("For new directories; default true")},
                       {"priority", IntRange(1, 10, "Queue priority of probe tasks; default 5")}},
                      {"file_paths"}),
               "New directories are watched, watched ones rescanned, and catalogued files that "
               "are not indexed get a probe task. Files must lie in a watched directory."),
      ok, {400, 403, 404});
  paths["/api/v1/index/remove"]["delete"] = Operation(
      "Index", "Remove files from the index", nullptr,
      JsonBody(Object({{"file_uuids", Array(String(), "1 to 10000 uuids")}}, {"file_uuids"})), ok,
      {400, 404});
  paths["/api/v1/index/status"]["get"] =
      Operation("Index", "File counts and the tasks in progress", nullptr, nullptr,
                Json::object({{"200", JsonResponse(Ref("IndexStatus"))}}), {503});

  paths["/api/v1/files/list"]["get"] = Operation(
      "Files", "List catalogued files",
      Json::array({Query("file_type", Enum({"image", "video", "audio"}), "Only this type"),
                   Query("indexed_only", Boolean(), "Only indexed files"),
                   Query("directory_id", Integer(), "Only files of this directory"),
                   Query("limit", IntRange(1, 1000), "Default 100"),
                   Query("offset", Integer(), "Default 0")}),
      nullptr, Json::object({{"200", JsonResponse(Ref("FileList"))}}), {400});
  paths["/api/v1/files/upload"]["post"] = Operation(
      "Files", "Upload a file into the upload area", nullptr,
      MultipartBody(
          Object({{"file", Json::object({{"type", "string"}, {"format", "binary"}})}}, {"file"})),
      Json::object({{"200", JsonResponse(Ref("UploadResponse"))}}), {400, 411, 413, 507});
  Json media =
      Json::object({{"200", BinaryResponse("application/octet-stream",
                                           "The whole file; Content-Type follows the extension")},
                    {"206", BinaryResponse("application/octet-stream",
                                           "The requested byte range, with Content-Range")}});
  paths["/api/v1/files/preview"]["get"] =
      Operation("Files", "Stream a media file by path (HTTP Range supported)",
                Json::array({Query("path", String(),
                                   "Absolute path inside a watched directory or the "
                                   "upload area",
                                   true)}),
                nullptr, media, {400, 403, 404, 416});
  paths["/api/v1/files/thumbnail"]["get"] = Operation(
      "Files", "The thumbnail of a catalogued file by path",
      Json::array({Query("path", String(), "Absolute path of a catalogued file", true)}), nullptr,
      Json::object({{"200", BinaryResponse("image/jpeg", "The thumbnail image")}}),
      {400, 403, 404});
  paths["/api/v1/files/{file_uuid}"]["get"] =
      Operation("Files", "One file with its metadata", Json::array({FileUuid()}), nullptr,
                Json::object({{"200", JsonResponse(Ref("FileInfo"))}}), {404});
  paths["/api/v1/files/{file_uuid}/media"]["get"] =
      Operation("Files", "Stream a catalogued file (HTTP Range supported)",
                Json::array({FileUuid()}), nullptr, media, {404, 416});
  paths["/api/v1/files/{file_uuid}/thumbnail"]["get"] = Operation(
      "Files", "The thumbnail of a file", Json::array({FileUuid()}), nullptr,
      Json::object({{"200", BinaryResponse("image/jpeg", "The thumbnail image")}}), {403, 404});
  paths["/api/v1/files/{file_uuid}/segments"]["get"] = Operation(
      "Files", "Video scenes and audio windows of a file",
      Json::array({FileUuid(), Query("track", Enum({"video", "audio"}), "Only this track")}),
      nullptr, Json::object({{"200", JsonResponse(Ref("SegmentList"))}}), {400, 404});
  paths["/api/v1/files/{file_uuid}/segments/{track}/{index}/thumbnail"]["get"] = Operation(
      "Files", "The thumbnail of one segment",
      Json::array({FileUuid(), Path("track", Enum({"video", "audio"}), "The track"),
                   Path("index", Integer(), "The segment's index in its track")}),
      nullptr, Json::object({{"200", BinaryResponse("image/jpeg", "The thumbnail image")}}),
      {403, 404});
  return paths;
}

}  // namespace msearch::server::openapi

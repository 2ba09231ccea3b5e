// The search routes: POST /api/v1/search/{text,image,audio,video}.

#include <fstream>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "common/clock.h"
#include "search/search_errors.h"
#include "search/search_service.h"
#include "server/http_response.h"
#include "server/request_params.h"
#include "server/search_json.h"
#include "server/search_params.h"
#include "server/server_context.h"
#include "server/watched_paths.h"

namespace msearch::server {
namespace {

constexpr size_t kMaxQueryChars = 1000;

// An uploaded query file, removed when the request ends, also when it fails.
class UploadGuard {
 public:
  explicit UploadGuard(UploadArea& area) : area_(area) {}
  ~UploadGuard() {
    if (!path_.empty()) area_.Remove(path_);
  }
  UploadGuard(const UploadGuard&) = delete;
  UploadGuard& operator=(const UploadGuard&) = delete;

  void set_path(std::filesystem::path path) { path_ = std::move(path); }

 private:
  UploadArea& area_;
  std::filesystem::path path_;
};

// The query file of a request: its upload, or a file named by path.
struct QueryFile {
  std::filesystem::path path;
  nlohmann::json description;  // what the response echoes as its query
};

// Saves the multipart field `file` into the upload area.
std::filesystem::path SaveUpload(ServerContext& context, const httplib::MultipartFormData& file,
                                 UploadGuard& guard) {
  if (file.content.empty()) {
    throw BadRequest("the uploaded file 'file' is empty", {{"parameter", "file"}});
  }
  std::filesystem::path path = context.uploads.NewFilePath(file.filename);
  guard.set_path(path);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(file.content.data(), static_cast<std::streamsize>(file.content.size()));
  out.close();
  if (!out) {
    throw Unavailable(
        fmt::format("cannot store the uploaded file in '{}'; check the free space "
                    "and permissions of storage.data_dir",
                    path.parent_path().string()));
  }
  return path;
}

// Checks that a path given as a query lies inside a watched directory or
// the upload area, and that it is a file.
std::filesystem::path CheckQueryPath(ServerContext& context, store::Catalog& catalog,
                                     const std::string& value, const std::string& parameter) {
  std::filesystem::path path(value);
  if (!path.is_absolute()) {
    throw BadRequest(
        fmt::format("invalid value '{}' for '{}': expected an absolute path", value, parameter),
        {{"parameter", parameter}});
  }
  path = path.lexically_normal();
  bool allowed = FindWatchedDirectory(WatchedDirectories(catalog), path).has_value() ||
                 context.uploads.Contains(path);
  if (!allowed) {
    throw Forbidden(fmt::format("'{}' lies outside every watched directory and the upload area, "
                                "so it is not read; upload the file as 'file' instead",
                                value),
                    {{"parameter", parameter}, {"path", value}});
  }
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    throw NotFound(fmt::format("the query file '{}' does not exist or is not a file", value),
                   {{"parameter", parameter}, {"path", value}});
  }
  return path;
}

// The query file of an upload route: the multipart field `file`, else the
// path in `path_parameter` (a form field or a member of a JSON body).
QueryFile TakeQueryFile(ServerContext& context, const httplib::Request& request,
                        const nlohmann::json& params, const std::string& path_parameter,
                        store::Catalog& catalog, UploadGuard& guard) {
  if (request.is_multipart_form_data() && request.has_file("file")) {
    const httplib::MultipartFormData& file = request.get_file_value("file");
    if (!file.filename.empty() || !file.content.empty()) {
      return {SaveUpload(context, file, guard), file.filename};
    }
  }
  auto value = params.find(path_parameter);
  if (value == params.end() || !value->is_string() || value->get<std::string>().empty()) {
    throw BadRequest(fmt::format("missing query: upload the file as the multipart field 'file' or "
                                 "name it with '{}'",
                                 path_parameter),
                     {{"parameter", path_parameter}});
  }
  std::string path = value->get<std::string>();
  return {CheckQueryPath(context, catalog, path, path_parameter), path};
}

// The parameters of a request: its JSON body, or its form fields.
struct RequestParams {
  nlohmann::json values;
  ParamSource source = ParamSource::kForm;
};

RequestParams ReadParams(const httplib::Request& request,
                         std::initializer_list<std::string_view> extra_names) {
  if (request.get_header_value("Content-Type").rfind("application/json", 0) == 0) {
    return {JsonObjectBody(request), ParamSource::kJson};
  }
  std::vector<std::string_view> names(std::begin(kSearchOptionNames), std::end(kSearchOptionNames));
  names.insert(names.end(), extra_names.begin(), extra_names.end());
  return {FormParams(request, names), ParamSource::kForm};
}

// Runs a query and turns the search errors into API errors.
template <typename Query>
search::SearchOutcome Run(const Query& query) {
  try {
    return query();
  } catch (const search::InvalidQueryError& error) {
    throw ApiError(400, "invalid_query", error.what());
  } catch (const search::ModelUnavailableError& error) {
    throw Unavailable(error.what());
  }
}

void Respond(ServerContext& context, httplib::Response& response, const nlohmann::json& query,
             std::string_view query_type, const search::SearchOutcome& outcome, double started) {
  double seconds = MonotonicSeconds() - started;
  context.logger->info("{} search for {} returned {} of {} matches in {:.1f} ms", query_type,
                       query.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                       outcome.items.size(), outcome.total_matches, seconds * 1000);
  WriteJson(response, SearchResponseJson(query, query_type, outcome, seconds));
}

void HandleTextSearch(ServerContext& context, const httplib::Request& request,
                      httplib::Response& response) {
  double started = MonotonicSeconds();
  nlohmann::json body = JsonObjectBody(request);
  std::string query = JsonString(body, "query", 1, kMaxQueryChars);
  if (query.find_first_not_of(" \t\r\n") == std::string::npos) {
    throw BadRequest("invalid value for 'query': it contains only white space",
                     {{"parameter", "query"}});
  }
  search::SearchOptions options = ParseSearchOptions(body, ParamSource::kJson);
  DatabasePool::Lease lease = context.databases.Acquire();
  search::SearchOutcome outcome =
      Run([&] { return context.search->SearchText({query}, options, lease.catalog()); });
  Respond(context, response, query, "text", outcome, started);
}

// Runs a search by the query file in form field `field` (an upload or an
// allowed path): `search` calls the service with the file's path.
template <typename Search>
void HandleFileSearch(ServerContext& context, const httplib::Request& request,
                      httplib::Response& response, const std::string& field, std::string_view kind,
                      Search search) {
  double started = MonotonicSeconds();
  RequestParams params = ReadParams(request, {field});
  search::SearchOptions options = ParseSearchOptions(params.values, params.source);
  DatabasePool::Lease lease = context.databases.Acquire();
  UploadGuard guard(context.uploads);
  QueryFile file = TakeQueryFile(context, request, params.values, field, lease.catalog(), guard);
  search::SearchOutcome outcome = Run([&] { return search(file.path, options, lease.catalog()); });
  Respond(context, response, file.description, kind, outcome, started);
}

void HandleImageSearch(ServerContext& context, const httplib::Request& request,
                       httplib::Response& response) {
  HandleFileSearch(context, request, response, "query_image", "image",
                   [&](const auto& path, const auto& options, auto& catalog) {
                     return context.search->SearchImage({path}, options, catalog);
                   });
}

void HandleAudioSearch(ServerContext& context, const httplib::Request& request,
                       httplib::Response& response) {
  HandleFileSearch(context, request, response, "query_audio", "audio",
                   [&](const auto& path, const auto& options, auto& catalog) {
                     return context.search->SearchAudio({path}, options, catalog);
                   });
}

void HandleVideoSearch(ServerContext& context, const httplib::Request& request,
                       httplib::Response& response) {
  double started = MonotonicSeconds();
  RequestParams params = ReadParams(request, {"query_video", "start_time", "end_time"});
  search::SearchOptions options = ParseSearchOptions(params.values, params.source);
  search::VideoQuery query;
  query.start_s = SecondsParam(params.values, "start_time", params.source);
  query.end_s = SecondsParam(params.values, "end_time", params.source);
  if (query.start_s && query.end_s && *query.end_s <= *query.start_s) {
    throw BadRequest(fmt::format("invalid time range: end_time {} is not after start_time {}",
                                 *query.end_s, *query.start_s),
                     {{"parameter", "end_time"}});
  }
  DatabasePool::Lease lease = context.databases.Acquire();
  UploadGuard guard(context.uploads);
  QueryFile file =
      TakeQueryFile(context, request, params.values, "query_video", lease.catalog(), guard);
  query.path = file.path;
  search::SearchOutcome outcome =
      Run([&] { return context.search->SearchVideo(query, options, lease.catalog()); });
  Respond(context, response, file.description, "video", outcome, started);
}

}  // namespace

void RegisterSearchRoutes(ServerContext& context) {
  auto& http = context.http;
  http.Post("/api/v1/search/text", Route(context, [&context](const auto& request, auto& response) {
              HandleTextSearch(context, request, response);
            }));
  http.Post("/api/v1/search/image", Route(context, [&context](const auto& request, auto& response) {
              HandleImageSearch(context, request, response);
            }));
  http.Post("/api/v1/search/audio", Route(context, [&context](const auto& request, auto& response) {
              HandleAudioSearch(context, request, response);
            }));
  http.Post("/api/v1/search/video", Route(context, [&context](const auto& request, auto& response) {
              HandleVideoSearch(context, request, response);
            }));
}

}  // namespace msearch::server

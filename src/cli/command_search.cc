// msearch search: finds files by text, or by an example image, sound or
// video. It sends the query to the running service when there is one,
// because the service has the vector indexes and models loaded. Otherwise it
// searches in this process.

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include <fmt/format.h>
#include <httplib.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/console.h"
#include "common/clock.h"
#include "common/error.h"
#include "common/process_info.h"
#include "config/config_loader.h"
#include "runtime/main_process.h"
#include "search/search_errors.h"
#include "server/search_json.h"
#include "server/search_setup.h"
#include "store/catalog.h"

namespace msearch::cli {
namespace {

struct SearchCommandOptions {
  std::string query;
  std::string image;
  std::string audio;
  std::string video;
  std::optional<double> start_time;
  std::optional<double> end_time;
  int top_k = 20;
  std::optional<double> threshold;
  std::optional<std::string> type;
  bool local = false;
};

// Seconds a search through the service may take before the request times
// out. A first query loads the models, which takes a while on a slow disk.
constexpr time_t kRequestTimeoutSeconds = 300;

std::string QueryType(const SearchCommandOptions& options) {
  if (!options.image.empty()) return "image";
  if (!options.audio.empty()) return "audio";
  if (!options.video.empty()) return "video";
  return "text";
}

// The request fields every kind of query shares.
nlohmann::json CommonFields(const SearchCommandOptions& options) {
  nlohmann::json fields = {{"top_k", options.top_k}};
  if (options.threshold) fields["threshold"] = *options.threshold;
  if (options.type) fields["file_type"] = *options.type;
  return fields;
}

std::string ReadWholeFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error(fmt::format("cannot read the query file '{}': check that it exists and is readable",
                            path.string()));
  }
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

// Returns the running service's host and port from <data_dir>/api.json,
// or nothing when the file is missing or its main process is not alive.
std::optional<std::pair<std::string, int>> FindService(const config::Config& config) {
  std::ifstream in(runtime::ApiEndpointFile(config));
  if (!in) return std::nullopt;
  nlohmann::json endpoint = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!endpoint.is_object() || !endpoint.contains("port") || !endpoint["port"].is_number() ||
      !endpoint.contains("pid") || !endpoint["pid"].is_number()) {
    return std::nullopt;
  }
  if (!ProcessAlive(endpoint["pid"].get<pid_t>())) return std::nullopt;
  std::string host = endpoint.value("host", std::string("127.0.0.1"));
  // A server bound to every address is reached through loopback.
  if (host == "0.0.0.0" || host.empty()) host = "127.0.0.1";
  if (host == "::") host = "::1";
  return std::make_pair(host, endpoint["port"].get<int>());
}

// Returns the response body as JSON. Throws Error with the server's message
// for any status but 200. `request` names the request in messages.
nlohmann::json ParseResponse(const httplib::Result& result, const std::string& request) {
  if (!result) {
    throw Error(fmt::format("the search service did not respond to {}: {}", request,
                            httplib::to_string(result.error())));
  }
  nlohmann::json body = nlohmann::json::parse(result->body, nullptr, /*allow_exceptions=*/false);
  if (result->status != 200) {
    std::string message =
        body.is_object() && body.contains("message") && body["message"].is_string()
            ? body["message"].get<std::string>()
            : result->body;
    throw Error(fmt::format("{} failed with HTTP {}: {}", request, result->status, message));
  }
  if (!body.is_object()) {
    throw Error(fmt::format("{} returned a body that is not a JSON object", request));
  }
  return body;
}

httplib::MultipartFormDataItems FormItems(const nlohmann::json& fields) {
  httplib::MultipartFormDataItems items;
  for (const auto& [name, value] : fields.items()) {
    items.push_back({name, value.is_string() ? value.get<std::string>() : value.dump(), "", ""});
  }
  return items;
}

nlohmann::json SearchThroughService(const config::Config& config, const std::string& host, int port,
                                    const SearchCommandOptions& options) {
  httplib::Client client(host, port);
  client.set_read_timeout(kRequestTimeoutSeconds, 0);
  client.set_write_timeout(kRequestTimeoutSeconds, 0);
  if (!config.api.token.empty()) client.set_bearer_token_auth(config.api.token);
  nlohmann::json fields = CommonFields(options);
  std::string type = QueryType(options);

  if (type == "text") {
    fields["query"] = options.query;
    return ParseResponse(client.Post("/api/v1/search/text", fields.dump(), "application/json"),
                         "the text search");
  }
  if (type == "image" || type == "audio") {
    std::filesystem::path path = type == "image" ? options.image : options.audio;
    httplib::MultipartFormDataItems items = FormItems(fields);
    items.push_back(
        {"file", ReadWholeFile(path), path.filename().string(), "application/octet-stream"});
    return ParseResponse(client.Post("/api/v1/search/" + type, items), "the " + type + " search");
  }

  // A video may be large, so it goes through the upload route, which streams
  // it to disk. The search request then names the uploaded copy.
  std::filesystem::path path = options.video;
  httplib::MultipartFormDataItems upload = {
      {"file", ReadWholeFile(path), path.filename().string(), "application/octet-stream"}};
  nlohmann::json uploaded =
      ParseResponse(client.Post("/api/v1/files/upload", upload), "uploading the query video");
  if (!uploaded.contains("file_path") || !uploaded["file_path"].is_string()) {
    throw Error("uploading the query video returned no file_path");
  }
  fields["query_video"] = uploaded["file_path"];
  if (options.start_time) fields["start_time"] = *options.start_time;
  if (options.end_time) fields["end_time"] = *options.end_time;
  return ParseResponse(client.Post("/api/v1/search/video", fields.dump(), "application/json"),
                       "the video search");
}

nlohmann::json SearchInProcess(const config::Config& config, const SearchCommandOptions& options) {
  // A private, temporary index folder, because the service's saved indexes
  // belong to the service. Exact search needs no graph, so nothing is kept.
  std::filesystem::path index_dir =
      std::filesystem::temp_directory_path() / fmt::format("msearch-search-{}", getpid());
  struct RemoveOnExit {
    std::filesystem::path dir;
    ~RemoveOnExit() {
      std::error_code ignored;
      std::filesystem::remove_all(dir, ignored);
    }
  } cleanup{index_dir};

  server::SearchRuntimeOptions runtime_options;
  runtime_options.index_dir = index_dir;
  runtime_options.open_in_background = false;
  runtime_options.upkeep = false;
  runtime_options.exact_only = true;
  // The index logs its progress at info level, but a command prints only results.
  spdlog::level::level_enum level = spdlog::get_level();
  spdlog::set_level(spdlog::level::warn);
  server::SearchRuntime runtime(config, runtime_options);
  runtime.Start();
  spdlog::set_level(level);
  store::Catalog catalog(config.storage.catalog_path);
  search::SearchService& service = *runtime.service();

  search::SearchOptions search_options;
  search_options.top_k = static_cast<size_t>(options.top_k);
  search_options.threshold = options.threshold.value_or(0.0);
  if (options.type) search_options.filters.file_types.push_back(*options.type);

  std::string type = QueryType(options);
  double started = MonotonicSeconds();
  search::SearchOutcome outcome;
  nlohmann::json query;
  try {
    if (type == "text") {
      outcome = service.SearchText({options.query}, search_options, catalog);
      query = options.query;
    } else if (type == "image") {
      outcome = service.SearchImage({options.image}, search_options, catalog);
      query = options.image;
    } else if (type == "audio") {
      outcome = service.SearchAudio({options.audio}, search_options, catalog);
      query = options.audio;
    } else {
      outcome = service.SearchVideo({options.video, options.start_time, options.end_time},
                                    search_options, catalog);
      query = options.video;
    }
  } catch (const search::ModelUnavailableError& error) {
    throw Error(error.what());
  }
  return server::SearchResponseJson(query, type, outcome, MonotonicSeconds() - started);
}

// Formats `seconds` as minutes:seconds with tenths, such as 1:05.3.
std::string FormatMinutes(double seconds) {
  // Rounding to tenths first keeps 59.96 s from printing as 0:60.0.
  const long long tenths = std::llround(seconds * 10);
  const long long minutes = tenths / 600;
  return fmt::format("{}:{:04.1f}", minutes, static_cast<double>(tenths % 600) / 10);
}

void PrintResults(const nlohmann::json& response) {
  const nlohmann::json& results = response["results"];
  std::string query = response["query"].is_string() ? response["query"].get<std::string>()
                                                    : response["query"].dump();
  for (const nlohmann::json& warning : response.value("warnings", nlohmann::json::array())) {
    std::cerr << "note: " << warning.get<std::string>() << "\n";
  }
  if (results.empty()) {
    std::cout << fmt::format(
        "No matches for \"{}\": no file matches it well enough, so none is listed.\n", query);
    return;
  }
  std::cout << fmt::format("{} result(s) for \"{}\" in {:.1f} ms\n", results.size(), query,
                           response["search_time"].get<double>() * 1000);
  int rank = 1;
  for (const nlohmann::json& item : results) {
    std::cout << fmt::format("{:>3}. {:.3f}  {:<5}  {}\n", rank++, item["score"].get<double>(),
                             item["file_type"].get<std::string>(),
                             item["file_path"].get<std::string>());
    for (const nlohmann::json& segment : item.value("segments", nlohmann::json::array())) {
      std::cout << fmt::format(
          "       {} - {}  {:.3f}  {} {}\n", FormatMinutes(segment["start"].get<double>()),
          FormatMinutes(segment["end"].get<double>()), segment["score"].get<double>(),
          segment["track"].get<std::string>(), segment["source"].get<std::string>());
    }
  }
}

int RunSearch(const GlobalOptions& global, const SearchCommandOptions& options) {
  int queries = !options.query.empty() + !options.image.empty() + !options.audio.empty() +
                !options.video.empty();
  if (queries != 1) {
    throw Error(
        "invalid query: give exactly one of words to find, --image FILE, --audio FILE or "
        "--video FILE");
  }
  if ((options.start_time || options.end_time) && options.video.empty()) {
    throw Error("invalid options: --start and --end are valid only with --video");
  }
  config::Config config = config::LoadConfig(global.config_path);

  nlohmann::json response;
  std::optional<std::pair<std::string, int>> service;
  if (!options.local) service = FindService(config);
  if (service) {
    response = SearchThroughService(config, service->first, service->second, options);
  } else {
    response = SearchInProcess(config, options);
  }

  if (global.json) {
    PrintJson(response);
  } else {
    PrintResults(response);
  }
  return 0;
}

}  // namespace

void RegisterSearch(CLI::App& app, GlobalOptions& global, int* exit_code) {
  auto* command = app.add_subcommand(
      "search", "Find files by text (content, recognised text, names, tags) or by an example");
  auto options = std::make_shared<SearchCommandOptions>();
  command->add_option("query", options->query,
                      "Words to find: matched by meaning, and in recognised text, names, paths "
                      "and tags (every word must match there)");
  command->add_option("--image", options->image, "Find images and video scenes like this image");
  command->add_option("--audio", options->audio,
                      "Find this recording inside other files, and sounds like it");
  command->add_option("--video", options->video, "Find scenes and sounds like this video");
  command
      ->add_option("--start", options->start_time,
                   "With --video: start of the part to search with, in seconds")
      ->check(CLI::NonNegativeNumber);
  command
      ->add_option("--end", options->end_time,
                   "With --video: end of the part to search with, in seconds")
      ->check(CLI::NonNegativeNumber);
  command->add_option("-k,--top-k", options->top_k, "Maximum number of results")
      ->check(CLI::Range(1, 100));
  command->add_option("--threshold", options->threshold, "Minimum score of a result, from 0 to 1")
      ->check(CLI::Range(0.0, 1.0));
  command->add_option("-t,--type", options->type, "Return only files of this kind")
      ->check(CLI::IsMember({"image", "video", "audio"}));
  command->add_flag("--local", options->local,
                    "Search in this process even when the service is running");
  command->add_flag("--json", global.json, "Print a SearchResponse as JSON");
  command->callback([&global, exit_code, options] { *exit_code = RunSearch(global, *options); });
}

}  // namespace msearch::cli

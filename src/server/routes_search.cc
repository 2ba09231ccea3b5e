#include <array>

#include "common/clock.h"
#include "server/http_response.h"
#include "server/json_responses.h"
#include "server/request_params.h"
#include "server/server_context.h"

namespace msearch::server {
namespace {

constexpr std::array<std::string_view, 3> kFileTypes = {"image", "video", "audio"};
constexpr size_t kMaxQueryChars = 1000;
constexpr int64_t kDefaultTopK = 20;
constexpr int64_t kMaxTopK = 100;

// POST /api/v1/search/text. Matches names, paths and tags through the
// catalog's full-text index; semantic matches join once embeddings exist.
void HandleTextSearch(ServerContext& context, const httplib::Request& request,
                      httplib::Response& response) {
  double started = MonotonicSeconds();
  nlohmann::json body = JsonObjectBody(request);
  std::string query = JsonString(body, "query", 1, kMaxQueryChars);
  if (query.find_first_not_of(" \t\r\n") == std::string::npos) {
    throw BadRequest("invalid value for 'query': it contains only white space",
                     {{"parameter", "query"}});
  }
  int64_t top_k = JsonInt(body, "top_k", kDefaultTopK, 1, kMaxTopK);
  std::optional<double> threshold = JsonOptionalNumber(body, "threshold", 0.0, 1.0);
  std::optional<std::string> file_type = JsonOptionalChoice(body, "file_type", kFileTypes);

  DatabasePool::Lease lease = context.databases.Acquire();
  store::Catalog& catalog = lease.catalog();
  std::vector<store::TextHit> hits = catalog.SearchText(query, top_k, file_type);

  nlohmann::json results = nlohmann::json::array();
  for (const store::TextHit& hit : hits) {
    if (threshold && hit.score < *threshold) continue;
    results.push_back(TextHitJson(hit, catalog.GetMediaInfo(hit.file.id)));
  }
  size_t total = results.size();
  WriteJson(response, {
                          {"query", query},
                          {"total_results", total},
                          {"results", std::move(results)},
                          {"search_time", MonotonicSeconds() - started},
                          {"query_type", "text"},
                          {"timestamp", NowIso8601()},
                      });
}

}  // namespace

void RegisterSearchRoutes(ServerContext& context) {
  context.http.Post("/api/v1/search/text",
                    Route(context, [&context](const auto& request, auto& response) {
                      HandleTextSearch(context, request, response);
                    }));
}

}  // namespace msearch::server

#include "server/search_json.h"

#include <fmt/format.h>

#include "server/http_response.h"
#include "server/json_responses.h"

namespace msearch::server {
namespace {

// A catalogued segment's thumbnail is served by the segment thumbnail
// route. Other stretches have none.
nlohmann::json SegmentThumbnailUrl(const store::FileRecord& file,
                                   const search::SegmentMatch& segment) {
  if (!segment.thumbnail_path || segment.index < 0) return nullptr;
  return fmt::format("/api/v1/files/{}/segments/{}/{}/thumbnail", file.uuid, segment.track,
                     segment.index);
}

nlohmann::json SegmentJson(const store::FileRecord& file, const search::SegmentMatch& segment) {
  return {
      {"start", segment.start_s},
      {"end", segment.end_s},
      {"centre", segment.centre_s},
      {"representative",
       segment.representative_s ? nlohmann::json(*segment.representative_s) : nullptr},
      {"duration", segment.end_s - segment.start_s},
      {"score", segment.score},
      {"index", segment.index >= 0 ? nlohmann::json(segment.index) : nullptr},
      {"track", segment.track},
      {"source", search::MatchSourceName(segment.source)},
      {"thumbnail_url", SegmentThumbnailUrl(file, segment)},
      {"preview_url", fmt::format("{}#t={:.3f},{:.3f}", PreviewUrl(file).get<std::string>(),
                                  segment.start_s, segment.end_s)},
  };
}

std::string_view ResultModality(const search::SearchResultItem& item) {
  // Clients of the original API expect image, video or audio here.
  if (item.modality == search::Modality::kText) return item.file.kind;
  return search::ModalityName(item.modality);
}

}  // namespace

nlohmann::json SearchItemJson(const search::SearchResultItem& item) {
  const store::FileRecord& file = item.file;
  nlohmann::json sources = nlohmann::json::array();
  for (search::MatchSource source : item.sources) sources.push_back(MatchSourceName(source));
  nlohmann::json segments = nlohmann::json::array();
  for (const search::SegmentMatch& segment : item.segments) {
    segments.push_back(SegmentJson(file, segment));
  }
  return {
      {"file_uuid", file.uuid},
      {"file_path", file.path},
      {"file_name", file.name},
      {"file_type", file.kind},
      {"score", item.score},
      {"modality", ResultModality(item)},
      {"match", item.sources.empty() ? nlohmann::json(nullptr)
                                     : nlohmann::json(MatchSourceName(item.sources.front()))},
      {"sources", std::move(sources)},
      {"matched_fields", item.matched_fields},
      {"matched_text", item.matched_text ? nlohmann::json(*item.matched_text) : nullptr},
      {"thumbnail_path", ThumbnailUrl(file)},
      {"preview_path", PreviewUrl(file)},
      {"metadata", MetadataJson(file, item.info)},
      {"timestamp_info",
       item.best_segment ? SegmentJson(file, *item.best_segment) : nlohmann::json(nullptr)},
      {"segments", std::move(segments)},
  };
}

nlohmann::json SearchResponseJson(const nlohmann::json& query, std::string_view query_type,
                                  const search::SearchOutcome& outcome, double search_seconds) {
  nlohmann::json results = nlohmann::json::array();
  for (const search::SearchResultItem& item : outcome.items)
    results.push_back(SearchItemJson(item));
  nlohmann::json response = {
      {"query", query},
      {"total_results", outcome.items.size()},
      {"results", std::move(results)},
      {"search_time", search_seconds},
      {"query_type", query_type},
      {"timestamp", NowIso8601()},
      {"total_matches", outcome.total_matches},
      {"spaces", outcome.spaces},
      {"warnings", outcome.warnings},
  };
  if (outcome.items.empty()) {
    response["message"] =
        "no file matches the query well enough; weak matches are left out rather than listed";
  }
  return response;
}

}  // namespace msearch::server

#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "search/search_result.h"

namespace msearch::server {

// One SearchResponse item: file_uuid, file_path, file_name, file_type,
// score, modality (image, video or audio), thumbnail_path and preview_path
// (URLs), metadata and timestamp_info. timestamp_info is the best matching
// stretch (start, end, centre, representative, duration, index, track), or
// null without one. The item also has match (the strongest source: vector,
// text, metadata or fingerprint), sources, matched_fields and matched_text.
// Its segments list every matching stretch in time order, with the fields of
// timestamp_info plus score, source, thumbnail_url and preview_url.
nlohmann::json SearchItemJson(const search::SearchResultItem& item);

// SearchResponse: query, total_results, results, search_time (seconds),
// query_type (text, image, video or audio), timestamp, plus total_matches
// (before top_k), spaces (embedding spaces searched), warnings, and a
// message when nothing matched well enough.
nlohmann::json SearchResponseJson(const nlohmann::json& query, std::string_view query_type,
                                  const search::SearchOutcome& outcome, double search_seconds);

}  // namespace msearch::server

#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "search/search_request.h"

namespace msearch::server {

// The parameters every search route takes besides its query:
//   top_k (1..100, default 20), threshold (0..1)
//   file_type (image, video or audio), or file_types (a list, or a
//     comma-separated string in a form)
//   directory (an absolute folder)
//   modified_after, modified_before (ISO 8601 date or date-time, UTC unless
//     an offset is given, or Unix seconds)
//   min_size, max_size (bytes)
//   sort_by (score, date or size), sort_order (desc or asc)
inline constexpr std::string_view kSearchOptionNames[] = {
    "top_k",           "threshold", "file_type", "file_types", "directory", "modified_after",
    "modified_before", "min_size",  "max_size",  "sort_by",    "sort_order"};

// The source of request parameters. Form fields are all strings, so numbers
// are accepted as strings only from a form. A JSON body must use JSON numbers.
enum class ParamSource { kJson, kForm };

// Reads those parameters from `params`: a JSON body, or form fields
// collected by FormParams. Throws ApiError 400 naming the parameter, the
// value and what is accepted.
search::SearchOptions ParseSearchOptions(const nlohmann::json& params, ParamSource source);

// Reads the optional seconds (a number from 0 on) named `name`. Throws
// ApiError 400 for anything else.
std::optional<double> SecondsParam(const nlohmann::json& params, const std::string& name,
                                   ParamSource source);

// The form fields of `request` named in `names` (from the query string, a
// url-encoded body or a multipart body), as a JSON object of strings. Empty
// fields are left out.
nlohmann::json FormParams(const httplib::Request& request, std::span<const std::string_view> names);

// Parses an ISO 8601 date ("2024-05-01", midnight UTC), an ISO 8601
// date-time ("2024-05-01T12:30:00Z", "2024-05-01T12:30:00.5+08:00", UTC when
// no offset is given) or a number of Unix seconds into Unix seconds. Returns
// nullopt for any other text.
std::optional<double> ParseTimestamp(std::string_view text);

}  // namespace msearch::server

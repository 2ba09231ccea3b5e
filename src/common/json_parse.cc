#include "common/json_parse.h"

#include <fmt/format.h>

namespace msearch {

nlohmann::json ParseJsonLimited(std::string_view text, size_t max_depth) {
  using Json = nlohmann::json;
  Json::parser_callback_t limit_depth = [max_depth](int depth, Json::parse_event_t event, Json&) {
    bool opens =
        event == Json::parse_event_t::object_start || event == Json::parse_event_t::array_start;
    // The callback reports the depth of the enclosing value, so an opening
    // bracket at depth d starts level d + 1.
    if (opens && static_cast<size_t>(depth) + 1 > max_depth) {
      throw JsonDepthError(
          fmt::format("JSON nests deeper than {} levels of arrays and objects", max_depth));
    }
    return true;
  };
  return Json::parse(text.begin(), text.end(), limit_depth);
}

}  // namespace msearch

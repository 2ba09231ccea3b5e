#include "server/search_params.h"

#include <charconv>
#include <cmath>
#include <ctime>
#include <limits>

#include <fmt/format.h>

#include "server/api_error.h"
#include "server/request_params.h"

namespace msearch::server {
namespace {

constexpr int64_t kDefaultTopK = 20;
constexpr int64_t kMaxTopK = 100;
constexpr std::string_view kFileTypes[] = {"image", "video", "audio"};
constexpr size_t kMaxEchoedBytes = 100;

std::string Echo(const nlohmann::json& value) {
  std::string text = value.is_string()
                         ? value.get<std::string>()
                         : value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (text.size() > kMaxEchoedBytes) text = text.substr(0, kMaxEchoedBytes) + "...";
  return text;
}

ApiError Invalid(const std::string& name, const nlohmann::json& value,
                 const std::string& expected) {
  std::string echoed = Echo(value);
  return BadRequest(fmt::format("invalid value '{}' for '{}': expected {}", echoed, name, expected),
                    {{"parameter", name}, {"value", echoed}, {"expected", expected}});
}

const nlohmann::json* Find(const nlohmann::json& params, const std::string& name) {
  auto found = params.find(name);
  if (found == params.end() || found->is_null()) return nullptr;
  return &*found;
}

// A number given as a JSON number or, from a form, as a string.
std::optional<double> AsNumber(const nlohmann::json& value, ParamSource source) {
  if (value.is_number()) return value.get<double>();
  if (!value.is_string() || source != ParamSource::kForm) return std::nullopt;
  const std::string& text = value.get_ref<const std::string&>();
  double number = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return number;
}

int64_t IntParam(const nlohmann::json& params, const std::string& name, int64_t default_value,
                 int64_t min, int64_t max, ParamSource source) {
  const nlohmann::json* value = Find(params, name);
  if (value == nullptr) return default_value;
  std::optional<double> number = AsNumber(*value, source);
  if (!number || !std::isfinite(*number) || std::floor(*number) != *number || *number < min ||
      *number > max) {
    throw Invalid(name, *value, fmt::format("an integer from {} to {}", min, max));
  }
  return static_cast<int64_t>(*number);
}

std::optional<double> NumberParam(const nlohmann::json& params, const std::string& name, double min,
                                  double max, ParamSource source) {
  const nlohmann::json* value = Find(params, name);
  if (value == nullptr) return std::nullopt;
  std::optional<double> number = AsNumber(*value, source);
  if (!number || !std::isfinite(*number) || *number < min || *number > max) {
    throw Invalid(name, *value, fmt::format("a number from {} to {}", min, max));
  }
  return number;
}

std::optional<std::string> StringParam(const nlohmann::json& params, const std::string& name) {
  const nlohmann::json* value = Find(params, name);
  if (value == nullptr) return std::nullopt;
  if (!value->is_string()) throw Invalid(name, *value, "a string");
  return value->get<std::string>();
}

std::string ChoiceParam(const nlohmann::json& params, const std::string& name,
                        std::span<const std::string_view> allowed, std::string_view default_value) {
  std::optional<std::string> value = StringParam(params, name);
  if (!value || value->empty()) return std::string(default_value);
  for (std::string_view choice : allowed) {
    if (*value == choice) return *value;
  }
  throw Invalid(name, *value, fmt::format("one of {}", fmt::join(allowed, ", ")));
}

std::vector<std::string> FileTypes(const nlohmann::json& params) {
  std::vector<std::string> types;
  auto add = [&](const std::string& name, const nlohmann::json& value) {
    if (!value.is_string()) throw Invalid(name, value, "image, video or audio");
    std::string type = value.get<std::string>();
    if (type.empty()) return;
    if (std::find(std::begin(kFileTypes), std::end(kFileTypes), type) == std::end(kFileTypes)) {
      throw Invalid(name, value, "image, video or audio");
    }
    if (std::find(types.begin(), types.end(), type) == types.end()) types.push_back(type);
  };
  if (const nlohmann::json* value = Find(params, "file_type")) add("file_type", *value);
  if (const nlohmann::json* value = Find(params, "file_types")) {
    if (value->is_array()) {
      for (const nlohmann::json& item : *value) add("file_types", item);
    } else if (value->is_string()) {
      // A form sends the list as "image,video".
      std::string text = value->get<std::string>();
      size_t start = 0;
      while (start <= text.size()) {
        size_t comma = text.find(',', start);
        if (comma == std::string::npos) comma = text.size();
        add("file_types", text.substr(start, comma - start));
        start = comma + 1;
      }
    } else {
      throw Invalid("file_types", *value, "a list of image, video and audio");
    }
  }
  return types;
}

std::optional<double> TimestampParam(const nlohmann::json& params, const std::string& name) {
  const nlohmann::json* value = Find(params, name);
  if (value == nullptr) return std::nullopt;
  std::optional<double> seconds;
  if (value->is_number()) {
    seconds = value->get<double>();
  } else if (value->is_string()) {
    seconds = ParseTimestamp(value->get<std::string>());
  }
  if (!seconds || !std::isfinite(*seconds)) {
    throw Invalid(name, *value,
                  "an ISO 8601 date or date-time such as 2024-05-01 or 2024-05-01T12:30:00Z, or "
                  "Unix seconds");
  }
  return seconds;
}

// Reads exactly `digits` decimal digits at text[*pos].
std::optional<int> Digits(std::string_view text, size_t* pos, size_t digits) {
  if (*pos + digits > text.size()) return std::nullopt;
  int value = 0;
  for (size_t i = 0; i < digits; ++i) {
    char c = text[*pos + i];
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  *pos += digits;
  return value;
}

bool Expect(std::string_view text, size_t* pos, char c) {
  if (*pos >= text.size() || text[*pos] != c) return false;
  ++*pos;
  return true;
}

}  // namespace

std::optional<double> ParseTimestamp(std::string_view text) {
  if (text.empty()) return std::nullopt;
  if (text.find('-', 1) == std::string_view::npos) {
    // No date separator after the first character: Unix seconds.
    double seconds = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
    // from_chars also accepts "nan" and "inf", which are not timestamps.
    if (!std::isfinite(seconds)) return std::nullopt;
    return seconds;
  }

  size_t pos = 0;
  std::optional<int> year = Digits(text, &pos, 4);
  if (!year || !Expect(text, &pos, '-')) return std::nullopt;
  std::optional<int> month = Digits(text, &pos, 2);
  if (!month || !Expect(text, &pos, '-')) return std::nullopt;
  std::optional<int> day = Digits(text, &pos, 2);
  if (!day || *month < 1 || *month > 12 || *day < 1 || *day > 31) return std::nullopt;
  std::tm time{};
  time.tm_year = *year - 1900;
  time.tm_mon = *month - 1;
  time.tm_mday = *day;

  double fraction = 0;
  double offset_seconds = 0;
  if (pos < text.size()) {
    if (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ') return std::nullopt;
    ++pos;
    std::optional<int> hour = Digits(text, &pos, 2);
    if (!hour || !Expect(text, &pos, ':')) return std::nullopt;
    std::optional<int> minute = Digits(text, &pos, 2);
    if (!minute || *hour > 23 || *minute > 59) return std::nullopt;
    time.tm_hour = *hour;
    time.tm_min = *minute;
    if (Expect(text, &pos, ':')) {
      std::optional<int> second = Digits(text, &pos, 2);
      if (!second || *second > 60) return std::nullopt;
      time.tm_sec = *second;
      if (Expect(text, &pos, '.')) {
        double scale = 0.1;
        size_t start = pos;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
          fraction += (text[pos++] - '0') * scale;
          scale /= 10;
        }
        if (pos == start) return std::nullopt;
      }
    }

    if (pos < text.size()) {
      char sign = text[pos++];
      if (sign == 'Z' || sign == 'z') {
        if (pos != text.size()) return std::nullopt;
      } else if (sign == '+' || sign == '-') {
        std::optional<int> offset_hours = Digits(text, &pos, 2);
        Expect(text, &pos, ':');
        std::optional<int> offset_minutes = Digits(text, &pos, 2);
        if (!offset_hours || !offset_minutes || pos != text.size()) return std::nullopt;
        offset_seconds = (*offset_hours * 3600.0 + *offset_minutes * 60.0) * (sign == '+' ? 1 : -1);
      } else {
        return std::nullopt;
      }
    }
  }

  time_t seconds = timegm(&time);
  return static_cast<double>(seconds) + fraction - offset_seconds;
}

search::SearchOptions ParseSearchOptions(const nlohmann::json& params, ParamSource source) {
  search::SearchOptions options;
  options.top_k = static_cast<size_t>(IntParam(params, "top_k", kDefaultTopK, 1, kMaxTopK, source));
  options.threshold = NumberParam(params, "threshold", 0.0, 1.0, source).value_or(0.0);

  search::SearchFilters& filters = options.filters;
  filters.file_types = FileTypes(params);
  if (std::optional<std::string> directory = StringParam(params, "directory");
      directory && !directory->empty()) {
    std::filesystem::path folder(*directory);
    if (!folder.is_absolute()) {
      throw Invalid("directory", *directory, "an absolute folder path");
    }
    filters.directory = folder.lexically_normal();
  }
  filters.modified_after = TimestampParam(params, "modified_after");
  filters.modified_before = TimestampParam(params, "modified_before");
  constexpr int64_t kMaxBytes = std::numeric_limits<int64_t>::max();
  if (Find(params, "min_size")) {
    filters.min_size = static_cast<uint64_t>(IntParam(params, "min_size", 0, 0, kMaxBytes, source));
  }
  if (Find(params, "max_size")) {
    filters.max_size = static_cast<uint64_t>(IntParam(params, "max_size", 0, 0, kMaxBytes, source));
  }

  constexpr std::string_view kSortKeys[] = {"score", "date", "size"};
  std::string sort = ChoiceParam(params, "sort_by", kSortKeys, "score");
  options.sort = sort == "date"   ? search::SortKey::kDate
                 : sort == "size" ? search::SortKey::kSize
                                  : search::SortKey::kScore;
  constexpr std::string_view kOrders[] = {"desc", "asc"};
  options.descending = ChoiceParam(params, "sort_order", kOrders, "desc") == "desc";
  return options;
}

std::optional<double> SecondsParam(const nlohmann::json& params, const std::string& name,
                                   ParamSource source) {
  constexpr double kMaxSeconds = 1e9;
  return NumberParam(params, name, 0.0, kMaxSeconds, source);
}

nlohmann::json FormParams(const httplib::Request& request,
                          std::span<const std::string_view> names) {
  nlohmann::json params = nlohmann::json::object();
  for (std::string_view name : names) {
    std::optional<std::string> value = FindParam(request, std::string(name));
    if (value && !value->empty()) params[std::string(name)] = *value;
  }
  return params;
}

}  // namespace msearch::server

#include "media/exif_fields.h"

#include <charconv>
#include <cmath>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "media/utf8_text.h"

namespace msearch::media {
namespace {

// libvips stores each EXIF entry as text:
// "<value> (<readable value>, <type>, <n> components, <m> bytes)", for
// example "71/10 (f/7.1, Rational, 1 components, 8 bytes)".
struct ExifEntry {
  std::string value;
  std::string type;
};

std::optional<ExifEntry> ParseExifText(const std::string& text) {
  static const std::regex kSuffix(R"(, (\w+), \d+ components, \d+ bytes\)$)");
  std::smatch match;
  if (!std::regex_search(text, match, kSuffix)) return std::nullopt;
  std::string type = match[1].str();
  std::string head = text.substr(0, static_cast<size_t>(match.position(0)));

  // For ASCII the readable value repeats the value, and either may contain
  // " (", so split the head into two equal halves around the " (".
  if (type == "ASCII" && head.size() >= 2 && head.size() % 2 == 0) {
    size_t half = (head.size() - 2) / 2;
    if (head.compare(half, 2, " (") == 0 && head.compare(0, half, head, half + 2) == 0) {
      return ExifEntry{head.substr(0, half), type};
    }
  }
  size_t open = head.find(" (");
  if (open == std::string::npos) return std::nullopt;
  return ExifEntry{head.substr(0, open), type};
}

std::optional<ExifEntry> GetExif(const vips::VImage& image, const char* field) {
  // libvips stores EXIF entries as VipsRefString, which get_string reads.
  if (image.get_typeof(field) == 0) return std::nullopt;
  const char* text = nullptr;
  if (vips_image_get_string(image.get_image(), field, &text) != 0 || text == nullptr) {
    vips_error_clear();
    return std::nullopt;
  }
  return ParseExifText(text);
}

std::string TrimText(std::string text) {
  while (!text.empty() && (text.back() == ' ' || text.back() == '\0')) text.pop_back();
  size_t start = text.find_first_not_of(' ');
  return start == std::string::npos ? std::string() : text.substr(start);
}

// Parses "a/b" or a plain number.
std::optional<double> ParseNumber(std::string_view token) {
  size_t slash = token.find('/');
  auto parse = [](std::string_view part) -> std::optional<double> {
    double value = 0;
    auto [end, error] = std::from_chars(part.data(), part.data() + part.size(), value);
    if (error != std::errc() || end != part.data() + part.size()) return std::nullopt;
    return value;
  };
  if (slash == std::string_view::npos) return parse(token);
  auto numerator = parse(token.substr(0, slash));
  auto denominator = parse(token.substr(slash + 1));
  if (!numerator || !denominator || *denominator == 0) return std::nullopt;
  return *numerator / *denominator;
}

std::vector<double> ParseNumbers(std::string_view text) {
  std::vector<double> numbers;
  while (!text.empty()) {
    size_t space = text.find(' ');
    std::string_view token = text.substr(0, space);
    if (!token.empty()) {
      auto number = ParseNumber(token);
      if (!number) return {};
      numbers.push_back(*number);
    }
    if (space == std::string_view::npos) break;
    text.remove_prefix(space + 1);
  }
  return numbers;
}

void AddText(const vips::VImage& image, const char* field, const char* key, nlohmann::json& out) {
  auto entry = GetExif(image, field);
  if (!entry) return;
  std::string value = TrimText(entry->value);
  if (!value.empty()) out[key] = SanitizeUtf8(value);
}

void AddNumber(const vips::VImage& image, const char* field, const char* key, nlohmann::json& out) {
  auto entry = GetExif(image, field);
  if (!entry) return;
  std::vector<double> numbers = ParseNumbers(entry->value);
  if (numbers.empty()) return;
  double value = numbers.front();
  if (std::floor(value) == value && std::abs(value) < 1e15) {
    out[key] = static_cast<int64_t>(value);
  } else {
    out[key] = value;
  }
}

// GPS coordinates are three rationals (degrees, minutes, seconds) plus a
// reference letter that gives the sign.
void AddCoordinate(const vips::VImage& image, const char* field, const char* ref_field,
                   char negative_ref, const char* key, nlohmann::json& out) {
  auto entry = GetExif(image, field);
  if (!entry) return;
  std::vector<double> parts = ParseNumbers(entry->value);
  if (parts.size() != 3) return;
  double degrees = parts[0] + parts[1] / 60.0 + parts[2] / 3600.0;
  auto ref = GetExif(image, ref_field);
  if (ref && !ref->value.empty() && ref->value.front() == negative_ref) degrees = -degrees;
  out[key] = degrees;
}

std::optional<int> OrientationFromXmp(std::string_view xmp) {
  static const std::regex kOrientation(R"(tiff:Orientation\s*(=\s*["']|>)\s*([1-8]))");
  std::match_results<std::string_view::const_iterator> match;
  if (!std::regex_search(xmp.begin(), xmp.end(), match, kOrientation)) return std::nullopt;
  return match[2].str()[0] - '0';
}

std::optional<int> OrientationFromBlob(const vips::VImage& image, const char* field) {
  if (image.get_typeof(field) == 0) return std::nullopt;
  const void* data = nullptr;
  size_t length = 0;
  if (vips_image_get_blob(image.get_image(), field, &data, &length) != 0 || data == nullptr) {
    vips_error_clear();
    return std::nullopt;
  }
  return OrientationFromXmp(std::string_view(static_cast<const char*>(data), length));
}

}  // namespace

nlohmann::json ReadExifFields(const vips::VImage& image) {
  nlohmann::json out = nlohmann::json::object();
  AddText(image, "exif-ifd0-Make", "make", out);
  AddText(image, "exif-ifd0-Model", "model", out);
  AddText(image, "exif-ifd0-Software", "software", out);
  AddText(image, "exif-ifd0-DateTime", "datetime", out);
  AddText(image, "exif-ifd0-Artist", "artist", out);
  AddText(image, "exif-ifd0-Copyright", "copyright", out);
  AddText(image, "exif-ifd2-DateTimeOriginal", "datetime_original", out);
  AddText(image, "exif-ifd2-DateTimeDigitized", "datetime_digitized", out);
  AddText(image, "exif-ifd2-LensModel", "lens_model", out);
  AddNumber(image, "exif-ifd2-ExposureTime", "exposure_time", out);
  AddNumber(image, "exif-ifd2-FNumber", "f_number", out);
  AddNumber(image, "exif-ifd2-ISOSpeedRatings", "iso", out);
  AddNumber(image, "exif-ifd2-FocalLength", "focal_length", out);
  AddNumber(image, "exif-ifd2-FocalLengthIn35mmFilm", "focal_length_35mm", out);
  AddCoordinate(image, "exif-ifd3-GPSLatitude", "exif-ifd3-GPSLatitudeRef", 'S', "gps_latitude",
                out);
  AddCoordinate(image, "exif-ifd3-GPSLongitude", "exif-ifd3-GPSLongitudeRef", 'W', "gps_longitude",
                out);
  return out;
}

std::optional<int> ReadDeclaredOrientation(const vips::VImage& image, bool is_tiff) {
  if (auto entry = GetExif(image, "exif-ifd0-Orientation")) {
    auto numbers = ParseNumbers(entry->value);
    if (!numbers.empty() && numbers.front() >= 1 && numbers.front() <= 8) {
      return static_cast<int>(numbers.front());
    }
  }
  if (is_tiff && image.get_typeof(VIPS_META_ORIENTATION) != 0) {
    int value = image.get_int(VIPS_META_ORIENTATION);
    if (value >= 1 && value <= 8) return value;
  }
  if (auto value = OrientationFromBlob(image, VIPS_META_XMP_NAME)) return value;
  // libvips exposes HEIF metadata items of type "mime" (usually XMP) as
  // heif-mime-0, heif-mime-1, ...
  for (int i = 0; i < 8; ++i) {
    std::string field = "heif-mime-" + std::to_string(i);
    if (auto value = OrientationFromBlob(image, field.c_str())) return value;
  }
  return std::nullopt;
}

}  // namespace msearch::media

#include "server/media_streaming.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <map>
#include <memory>

#include <fmt/format.h>
#include <sys/stat.h>

#include "server/api_error.h"

namespace msearch::server {
namespace {

// Bytes read from the file per write to the socket.
constexpr size_t kChunkBytes = 256 * 1024;

std::optional<uint64_t> ParseNumber(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  if (text.empty()) return std::nullopt;
  uint64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string HttpDate(time_t seconds) {
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[64];
  size_t length = std::strftime(text, sizeof(text), "%a, %d %b %Y %H:%M:%S GMT", &utc);
  return std::string(text, length);
}

}  // namespace

RangeRequest ParseRange(std::string_view header, uint64_t size) {
  RangeRequest whole;
  RangeRequest unsatisfiable{RangeRequest::Kind::kUnsatisfiable};
  while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
  if (header.empty()) return whole;
  constexpr std::string_view kUnit = "bytes=";
  if (header.substr(0, kUnit.size()) != kUnit) return whole;  // another unit
  std::string_view spec = header.substr(kUnit.size());
  if (spec.find(',') != std::string_view::npos) return whole;

  size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return unsatisfiable;
  std::string_view first_text = spec.substr(0, dash);
  std::string_view last_text = spec.substr(dash + 1);
  bool has_first = first_text.find_first_not_of(' ') != std::string_view::npos;
  bool has_last = last_text.find_first_not_of(' ') != std::string_view::npos;

  RangeRequest range{RangeRequest::Kind::kPartial};
  if (!has_first) {
    std::optional<uint64_t> suffix = has_last ? ParseNumber(last_text) : std::nullopt;
    if (!suffix || *suffix == 0 || size == 0) return unsatisfiable;
    range.first = size - std::min(*suffix, size);
    range.last = size - 1;
    return range;
  }
  std::optional<uint64_t> first = ParseNumber(first_text);
  std::optional<uint64_t> last = has_last ? ParseNumber(last_text) : std::nullopt;
  if (!first || (has_last && !last)) return unsatisfiable;
  if (*first >= size) return unsatisfiable;
  if (last && *last < *first) return unsatisfiable;
  range.first = *first;
  range.last = last ? std::min(*last, size - 1) : size - 1;
  return range;
}

std::string MediaContentType(const std::filesystem::path& file) {
  static const std::map<std::string, std::string> kTypes = {
      {".jpg", "image/jpeg"},     {".jpeg", "image/jpeg"},     {".png", "image/png"},
      {".gif", "image/gif"},      {".webp", "image/webp"},     {".bmp", "image/bmp"},
      {".tif", "image/tiff"},     {".tiff", "image/tiff"},     {".heic", "image/heic"},
      {".heif", "image/heif"},    {".avif", "image/avif"},     {".mp4", "video/mp4"},
      {".m4v", "video/mp4"},      {".mov", "video/quicktime"}, {".mkv", "video/x-matroska"},
      {".webm", "video/webm"},    {".avi", "video/x-msvideo"}, {".mpg", "video/mpeg"},
      {".mpeg", "video/mpeg"},    {".ts", "video/mp2t"},       {".mts", "video/mp2t"},
      {".m2ts", "video/mp2t"},    {".wmv", "video/x-ms-wmv"},  {".flv", "video/x-flv"},
      {".3gp", "video/3gpp"},     {".mp3", "audio/mpeg"},      {".wav", "audio/wav"},
      {".flac", "audio/flac"},    {".ogg", "audio/ogg"},       {".oga", "audio/ogg"},
      {".opus", "audio/ogg"},     {".m4a", "audio/mp4"},       {".aac", "audio/aac"},
      {".wma", "audio/x-ms-wma"}, {".aiff", "audio/aiff"},     {".aif", "audio/aiff"},
  };
  std::string extension = file.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  auto it = kTypes.find(extension);
  return it == kTypes.end() ? "application/octet-stream" : it->second;
}

void SendFile(const httplib::Request& request, httplib::Response& response,
              const std::filesystem::path& file) {
  auto input = std::make_shared<std::ifstream>(file, std::ios::binary);
  struct stat info {};
  if (!*input || stat(file.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) {
    throw NotFound(fmt::format("the file '{}' cannot be read", file.string()),
                   {{"path", file.string()}});
  }
  auto size = static_cast<uint64_t>(info.st_size);

  response.set_header("Accept-Ranges", "bytes");
  response.set_header("Last-Modified", HttpDate(info.st_mtim.tv_sec));
  RangeRequest range = ParseRange(request.get_header_value("Range"), size);
  if (range.kind == RangeRequest::Kind::kUnsatisfiable) {
    response.set_header("Content-Range", fmt::format("bytes */{}", size));
    throw ApiError(416, "range_not_satisfiable",
                   fmt::format("the range '{}' is not satisfiable: the file has {} bytes",
                               request.get_header_value("Range"), size),
                   {{"range", request.get_header_value("Range")}, {"size", size}});
  }

  uint64_t first = 0;
  uint64_t length = size;
  if (range.kind == RangeRequest::Kind::kPartial) {
    first = range.first;
    length = range.last - range.first + 1;
    response.status = 206;
    response.set_header("Content-Range",
                        fmt::format("bytes {}-{}/{}", range.first, range.last, size));
  } else {
    response.status = 200;
  }

  // cpp-httplib calls the provider with offsets relative to the start of the
  // content it was given, which here is the start of the range.
  response.set_content_provider(static_cast<size_t>(length), MediaContentType(file),
                                [input, first, buffer = std::make_shared<std::string>()](
                                    size_t offset, size_t available, httplib::DataSink& sink) {
                                  size_t count = std::min(available, kChunkBytes);
                                  buffer->resize(count);
                                  input->clear();
                                  input->seekg(static_cast<std::streamoff>(first + offset));
                                  input->read(buffer->data(), static_cast<std::streamsize>(count));
                                  auto read = static_cast<size_t>(input->gcount());
                                  // A file cut short while it is sent ends the response early,
                                  // so the client receives fewer bytes than Content-Length.
                                  if (read == 0) return false;
                                  return sink.write(buffer->data(), read);
                                });
}

}  // namespace msearch::server

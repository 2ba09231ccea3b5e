#include "media/vips_error.h"

#include <string_view>

namespace msearch::media {

std::string TakeVipsErrorText(const vips::VError& error) {
  std::string text;
  std::string_view rest = error.what();
  while (!rest.empty()) {
    size_t end = rest.find('\n');
    std::string_view line = rest.substr(0, end);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.remove_suffix(1);
    if (!line.empty() && text.find(line) == std::string::npos) {
      if (!text.empty()) text += "; ";
      text += line;
    }
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 1);
  }
  vips_error_clear();
  return text.empty() ? "unknown libvips error" : text;
}

void ClearStaleVipsErrors() { vips_error_clear(); }

}  // namespace msearch::media

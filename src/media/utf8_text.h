#pragma once

#include <string>
#include <string_view>

namespace msearch::media {

// Returns `text` as valid UTF-8 for JSON and the catalog: valid sequences are
// kept, each byte of an invalid sequence is read as Latin-1 (the usual
// encoding of ID3v1 tags and old EXIF strings), and NUL characters are
// dropped.
std::string SanitizeUtf8(std::string_view text);

}  // namespace msearch::media

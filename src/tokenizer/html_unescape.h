#pragma once

#include <string>
#include <string_view>

namespace msearch::tokenizer {

// Replaces HTML character references as ftfy 6.3's unescape_html does.
// Candidates are the matches of `&#?[0-9A-Za-z]{1,24};`. HTML5 named
// references ("&amp;", and upper-cased forms such as "&EACUTE;" -> "É")
// and complete numeric references ("&#39;", "&#x27;") become their text.
// Numbers follow Python's html.unescape: C1 values map through
// Windows-1252, 0 and surrogates become U+FFFD, and other invalid code
// points are removed. Everything else, including a reference that decodes
// to ';', stays as is.
std::u32string UnescapeHtml(std::u32string_view text);

}  // namespace msearch::tokenizer

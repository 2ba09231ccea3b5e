#pragma once

#include <string_view>

namespace msearch::search {

// Language cues of a text query that decide where it is sent and how its
// results are weighted.

// True when `text` (UTF-8) contains a Han ideograph (CJK Unified
// Ideographs, their extensions A to F, or the compatibility blocks). Such
// queries go only to text encoders with a Chinese vocabulary, because an
// English byte-level BPE splits Han characters into meaningless byte tokens.
// Invalid UTF-8 bytes are skipped.
bool ContainsChinese(std::string_view text);

// True when `text` names something heard rather than seen: music, songs,
// background music, speech, meetings, dialogue, talks and similar words in
// English (whole words, any case) or Chinese (anywhere in the text, since
// Chinese has no spaces between words). Such queries shift the modality
// weights towards audio.
bool NamesSound(std::string_view text);

}  // namespace msearch::search

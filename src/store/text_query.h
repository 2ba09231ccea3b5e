#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace msearch::store {

// Helpers that turn a user's words into SQLite full-text and LIKE terms.

// Splits a query into words at ASCII whitespace, so UTF-8 multi-byte
// sequences are never split.
std::vector<std::string> SplitWords(std::string_view query);

// Number of Unicode code points in a UTF-8 string. The trigram tokenizer
// matches words of three or more; shorter ones need LIKE.
size_t CodePoints(std::string_view text);

// `word` as one FTS5 string: quoted, inner quotes doubled, so operators and
// punctuation in it are matched literally.
std::string QuoteFtsPhrase(std::string_view word);

// Escapes LIKE wildcards so a word is matched literally (ESCAPE '\').
std::string EscapeLike(std::string_view text);

// Maps an FTS5 bm25 rank (negative, lower is better) into (0, 1].
double ScoreFromBm25(double rank);

}  // namespace msearch::store

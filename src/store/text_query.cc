#include "store/text_query.h"

#include <algorithm>
#include <cmath>

namespace msearch::store {

std::vector<std::string> SplitWords(std::string_view query) {
  std::vector<std::string> words;
  std::string current;
  for (char c : query) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (!current.empty()) words.push_back(std::move(current));
      current.clear();
    } else {
      current.push_back(c);
    }
  }
  if (!current.empty()) words.push_back(std::move(current));
  return words;
}

size_t CodePoints(std::string_view text) {
  return static_cast<size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

std::string QuoteFtsPhrase(std::string_view word) {
  std::string quoted = "\"";
  for (char c : word) {
    if (c == '"') quoted.push_back('"');
    quoted.push_back(c);
  }
  quoted.push_back('"');
  return quoted;
}

std::string EscapeLike(std::string_view text) {
  std::string escaped;
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') escaped.push_back('\\');
    escaped.push_back(c);
  }
  return escaped;
}

double ScoreFromBm25(double rank) {
  return std::clamp(1.0 - std::exp(rank / 4.0) * 0.5, 0.01, 1.0);
}

}  // namespace msearch::store

#include "tokenizer/bert_tokenizer.h"

#include <fmt/format.h>

#include "tokenizer/tokenizer_error.h"
#include "tokenizer/tokenizer_files.h"
#include "tokenizer/unicode_text.h"

namespace msearch::tokenizer {
namespace {

// WordpieceTokenizer's max_input_chars_per_word.
constexpr size_t kMaxWordLength = 100;

bool IsChineseCharacter(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
         (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

// BERT's punctuation: every ASCII symbol (so "$", "^", "`" split too) and
// Unicode category P*.
bool IsBertPunctuation(char32_t c) {
  if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) ||
      (c >= 123 && c <= 126)) {
    return true;
  }
  return IsPunctuation(c);
}

bool IsBertWhitespace(char32_t c) {
  return c == U' ' || c == U'\t' || c == U'\n' || c == U'\r' || IsSpaceSeparator(c);
}

bool IsBertControl(char32_t c) {
  if (c == U'\t' || c == U'\n' || c == U'\r') return false;
  return IsOtherCategory(c);
}

// Splits on Python str.isspace() characters, as str.split() does.
std::vector<std::u32string_view> SplitOnSpace(std::u32string_view text) {
  std::vector<std::u32string_view> words;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && IsPythonSpace(text[i])) ++i;
    size_t start = i;
    while (i < text.size() && !IsPythonSpace(text[i])) ++i;
    if (i > start) words.push_back(text.substr(start, i - start));
  }
  return words;
}

std::u32string StripAccents(std::u32string_view text) {
  std::u32string decomposed = Normalize(text, NormalizationForm::kNfd);
  std::u32string out;
  out.reserve(decomposed.size());
  for (char32_t c : decomposed) {
    if (!IsNonspacingMark(c)) out.push_back(c);
  }
  return out;
}

}  // namespace

std::unordered_map<std::string, int32_t> BertTokenizer::LoadVocab(
    const std::filesystem::path& vocab_txt) {
  std::string text = ReadTokenizerFile(vocab_txt);
  std::unordered_map<std::string, int32_t> vocab;
  // Python reads the file with universal newlines: "\r\n", "\r" and "\n"
  // all end a line.
  int32_t index = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find_first_of("\r\n", start);
    if (end == std::string::npos) end = text.size();
    vocab[text.substr(start, end - start)] = index++;
    if (end < text.size() && text[end] == '\r' && end + 1 < text.size() && text[end + 1] == '\n') {
      ++end;
    }
    start = end + 1;
  }
  if (vocab.empty()) {
    throw TokenizerError(
        fmt::format("'{}' is empty; expected one WordPiece token per line", vocab_txt.string()));
  }
  return vocab;
}

BertTokenizer::BertTokenizer(const std::filesystem::path& vocab_txt, BertOptions options,
                             TokenizerSettings settings)
    : Tokenizer(std::move(settings)), options_(std::move(options)), vocab_(LoadVocab(vocab_txt)) {
  auto unk = vocab_.find(options_.unk_token);
  if (unk == vocab_.end()) {
    throw TokenizerError(fmt::format("'{}' has no line for the unknown token '{}'",
                                     vocab_txt.string(), options_.unk_token));
  }
  unk_id_ = unk->second;
  ResolveSpecialTokenIds(vocab_txt.string());
  for (const auto& [token, id] : vocab_) {
    if (static_cast<size_t>(id) >= tokens_by_id_.size()) tokens_by_id_.resize(id + 1);
    tokens_by_id_[static_cast<size_t>(id)] = token;
  }
  for (const std::string& word : options_.never_split) {
    config_never_split_.insert(DecodeUtf8(word));
    never_split_.insert(DecodeUtf8(word));
  }
  for (const SpecialToken& token : special_tokens()) never_split_.insert(DecodeUtf8(token.content));
}

std::string_view BertTokenizer::TokenForId(int32_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= tokens_by_id_.size()) return {};
  return tokens_by_id_[static_cast<size_t>(id)];
}

std::optional<int32_t> BertTokenizer::TokenId(std::string_view token) const {
  return Lookup(std::string(token));
}

std::optional<int32_t> BertTokenizer::Lookup(const std::string& token) const {
  auto it = vocab_.find(token);
  if (it == vocab_.end()) return std::nullopt;
  return it->second;
}

std::string BertTokenizer::PrepareText(std::string_view text) const {
  if (!options_.do_lower_case) return std::string(text);
  // The reference lower-cases the text one character at a time, outside
  // special tokens, before splitting it. Character by character means no
  // Final_Sigma rule: "ΟΣ" becomes "οσ".
  std::string out;
  out.reserve(text.size());
  for (const TextSegment& segment :
       SplitOnSpecialTokens(text, special_tokens(), /*apply_strip=*/false)) {
    if (segment.special != nullptr) {
      out += segment.special->content;
      continue;
    }
    std::u32string lowered;
    for (char32_t c : DecodeUtf8(segment.text)) AppendLowerOfCodePoint(c, lowered);
    out += EncodeUtf8(lowered);
  }
  return out;
}

std::vector<std::u32string> BertTokenizer::BasicTokenize(std::u32string_view text) const {
  std::u32string cleaned;
  cleaned.reserve(text.size() + 16);
  for (char32_t c : text) {
    if (c == 0 || c == 0xFFFD || IsBertControl(c)) continue;
    if (IsBertWhitespace(c)) {
      cleaned.push_back(U' ');
    } else if (options_.tokenize_chinese_chars && IsChineseCharacter(c)) {
      cleaned.push_back(U' ');
      cleaned.push_back(c);
      cleaned.push_back(U' ');
    } else {
      cleaned.push_back(c);
    }
  }

  const bool strip_accents = options_.strip_accents.value_or(options_.do_lower_case);
  std::vector<std::u32string> tokens;
  for (std::u32string_view word : SplitOnSpace(cleaned)) {
    std::u32string token(word);
    if (never_split_.contains(token)) {
      tokens.push_back(std::move(token));
      continue;
    }
    if (options_.do_lower_case) token = ToLowerFull(token);
    if (strip_accents) token = StripAccents(token);
    if (never_split_.contains(token)) {
      tokens.push_back(std::move(token));
      continue;
    }
    // Every punctuation character becomes a token of its own.
    std::u32string current;
    for (char32_t c : token) {
      if (IsBertPunctuation(c)) {
        if (!current.empty()) tokens.push_back(std::move(current));
        current.clear();
        tokens.emplace_back(1, c);
      } else {
        current.push_back(c);
      }
    }
    if (!current.empty()) tokens.push_back(std::move(current));
  }
  // The reference joins the tokens with spaces and splits again, which
  // drops tokens that accent stripping left empty or made of whitespace.
  std::vector<std::u32string> words;
  for (const std::u32string& token : tokens) {
    for (std::u32string_view word : SplitOnSpace(token)) words.emplace_back(word);
  }
  return words;
}

void BertTokenizer::AppendWordPieces(std::u32string_view word, std::vector<int32_t>& ids) const {
  if (word.size() > kMaxWordLength) {
    ids.push_back(unk_id_);
    return;
  }
  std::vector<int32_t> pieces;
  size_t start = 0;
  while (start < word.size()) {
    std::optional<int32_t> match;
    size_t end = word.size();
    for (; end > start; --end) {
      std::string candidate = start > 0 ? "##" : "";
      candidate += EncodeUtf8(word.substr(start, end - start));
      match = Lookup(candidate);
      if (match) break;
    }
    if (!match) {
      ids.push_back(unk_id_);
      return;
    }
    pieces.push_back(*match);
    start = end;
  }
  ids.insert(ids.end(), pieces.begin(), pieces.end());
}

void BertTokenizer::EncodeOrdinaryText(std::string_view text, std::vector<int32_t>& ids) const {
  std::u32string code_points = DecodeUtf8(text);
  if (!options_.do_basic_tokenize) {
    for (std::u32string_view word : SplitOnSpace(code_points)) AppendWordPieces(word, ids);
    return;
  }
  for (const std::u32string& word : BasicTokenize(code_points)) {
    if (config_never_split_.contains(word)) {
      ids.push_back(Lookup(EncodeUtf8(word)).value_or(unk_id_));
    } else {
      AppendWordPieces(word, ids);
    }
  }
}

}  // namespace msearch::tokenizer

#include "tokenizer/bpe_model.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tokenizer/byte_level.h"
#include "tokenizer/tokenizer_error.h"
#include "tokenizer/tokenizer_files.h"

namespace msearch::tokenizer {
namespace {

// Pieces longer than this are encoded without caching, so one very long
// word does not pin a large cache entry.
constexpr size_t kMaxCachedPieceBytes = 256;
// The cache is dropped when it reaches this many pieces, which bounds its
// memory in a long-running process; results do not depend on it.
constexpr size_t kMaxCacheEntries = 100'000;

uint64_t PairKey(int32_t left, int32_t right) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
}

bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// Splits on runs of ASCII whitespace, as str.split() does for these lines.
std::vector<std::string_view> SplitFields(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && IsAsciiSpace(line[i])) ++i;
    size_t start = i;
    while (i < line.size() && !IsAsciiSpace(line[i])) ++i;
    if (i > start) fields.push_back(line.substr(start, i - start));
  }
  return fields;
}

std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (true) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) {
      lines.push_back(text.substr(start));
      break;
    }
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

std::string_view StripAsciiSpace(std::string_view text) {
  while (!text.empty() && IsAsciiSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsAsciiSpace(text.back())) text.remove_suffix(1);
  return text;
}

}  // namespace

BpeModel::BpeModel(const std::filesystem::path& vocab_json, const std::filesystem::path& merges_txt,
                   BpeOptions options)
    : options_(std::move(options)) {
  LoadVocab(vocab_json);
  auto unk = vocab_.find(options_.unk_token);
  if (unk == vocab_.end()) {
    throw TokenizerError(fmt::format("'{}' has no entry for the unknown token '{}'",
                                     vocab_json.string(), options_.unk_token));
  }
  unk_id_ = unk->second;

  for (const auto& [token, id] : vocab_) {
    (void)id;
    InternSymbol(token);
  }
  const auto& byte_symbols = ByteSymbols();
  for (int byte = 0; byte < 256; ++byte) {
    byte_symbol_[byte] = InternSymbol(byte_symbols[byte]);
    byte_symbol_last_[byte] = InternSymbol(byte_symbols[byte] + options_.end_of_word_suffix);
  }
  LoadMerges(merges_txt);
  for (const std::string& piece : options_.whole_pieces) {
    auto it = vocab_.find(piece);
    if (it != vocab_.end()) whole_piece_ids_.emplace(piece, it->second);
  }
}

void BpeModel::LoadVocab(const std::filesystem::path& vocab_json) {
  nlohmann::json vocab = ReadTokenizerJson(vocab_json);
  if (!vocab.is_object()) {
    throw TokenizerError(fmt::format("'{}' must be a JSON object mapping tokens to integer ids",
                                     vocab_json.string()));
  }
  vocab_.reserve(vocab.size());
  for (const auto& [token, id] : vocab.items()) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0 ||
        id.get<int64_t>() > std::numeric_limits<int32_t>::max()) {
      throw TokenizerError(
          fmt::format("'{}': the id of token '{}' is {}, expected an integer "
                      "between 0 and 2^31-1",
                      vocab_json.string(), token, id.dump()));
    }
    auto token_id = static_cast<int32_t>(id.get<int64_t>());
    vocab_[token] = token_id;
    tokens_by_id_.emplace(token_id, token);
  }
}

void BpeModel::LoadMerges(const std::filesystem::path& merges_txt) {
  std::string text = ReadTokenizerFile(merges_txt);
  std::string_view content = text;
  if (options_.merges_layout == MergesLayout::kStripThenSkipHeader) {
    content = StripAsciiSpace(content);
  }
  std::vector<std::string_view> lines = SplitLines(content);
  size_t end = lines.size();
  if (options_.merges_layout == MergesLayout::kSkipHeaderAndLastLine && end > 0) --end;
  size_t rank = 0;
  for (size_t i = 1; i < end && rank < options_.max_merges; ++i, ++rank) {
    std::vector<std::string_view> fields = SplitFields(lines[i]);
    // The reference builds a tuple per line. A line that is not a pair can
    // never match two adjacent symbols, but it still takes a rank.
    if (fields.size() != 2) continue;
    std::string left(fields[0]);
    std::string right(fields[1]);
    int32_t left_index = InternSymbol(left);
    int32_t right_index = InternSymbol(right);
    int32_t result_index = InternSymbol(left + right);
    // A repeated pair takes its later rank, as dict(zip(merges, ranks)) does.
    merges_[PairKey(left_index, right_index)] = Merge{static_cast<int32_t>(rank), result_index};
  }
  if (merges_.empty()) {
    throw TokenizerError(fmt::format(
        "'{}' contains no merges; expected a '#version' line followed by one 'left right' pair "
        "per line",
        merges_txt.string()));
  }
}

int32_t BpeModel::InternSymbol(const std::string& symbol) {
  auto [it, inserted] =
      symbol_index_.emplace(symbol, static_cast<int32_t>(symbol_output_id_.size()));
  if (inserted) {
    auto vocab_entry = vocab_.find(symbol);
    symbol_output_id_.push_back(vocab_entry == vocab_.end() ? unk_id_ : vocab_entry->second);
  }
  return it->second;
}

std::optional<int32_t> BpeModel::TokenId(std::string_view token) const {
  auto it = vocab_.find(std::string(token));
  if (it == vocab_.end()) return std::nullopt;
  return it->second;
}

std::string_view BpeModel::TokenForId(int32_t id) const {
  auto it = tokens_by_id_.find(id);
  return it == tokens_by_id_.end() ? std::string_view() : std::string_view(it->second);
}

std::vector<int32_t> BpeModel::EncodeUncached(std::string_view piece) const {
  auto whole = whole_piece_ids_.find(std::string(piece));
  if (whole != whole_piece_ids_.end()) return {whole->second};

  std::vector<int32_t> word;
  word.reserve(piece.size());
  for (size_t i = 0; i < piece.size(); ++i) {
    auto byte = static_cast<uint8_t>(piece[i]);
    word.push_back(i + 1 == piece.size() ? byte_symbol_last_[byte] : byte_symbol_[byte]);
  }

  std::vector<int32_t> merged;
  merged.reserve(word.size());
  while (word.size() > 1) {
    const Merge* best = nullptr;
    int32_t best_left = 0;
    int32_t best_right = 0;
    for (size_t i = 0; i + 1 < word.size(); ++i) {
      auto it = merges_.find(PairKey(word[i], word[i + 1]));
      if (it != merges_.end() && (best == nullptr || it->second.rank < best->rank)) {
        best = &it->second;
        best_left = word[i];
        best_right = word[i + 1];
      }
    }
    if (best == nullptr) break;
    merged.clear();
    for (size_t i = 0; i < word.size();) {
      if (i + 1 < word.size() && word[i] == best_left && word[i + 1] == best_right) {
        merged.push_back(best->result);
        i += 2;
      } else {
        merged.push_back(word[i]);
        ++i;
      }
    }
    word.swap(merged);
  }

  for (int32_t& symbol : word) symbol = symbol_output_id_[static_cast<size_t>(symbol)];
  return word;
}

void BpeModel::Encode(std::string_view piece, std::vector<int32_t>& ids) const {
  if (piece.empty()) return;
  const bool cacheable = piece.size() <= kMaxCachedPieceBytes;
  if (cacheable) {
    std::lock_guard lock(cache_mutex_);
    auto it = cache_.find(std::string(piece));
    if (it != cache_.end()) {
      ids.insert(ids.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  std::vector<int32_t> encoded = EncodeUncached(piece);
  ids.insert(ids.end(), encoded.begin(), encoded.end());
  if (cacheable) {
    std::lock_guard lock(cache_mutex_);
    if (cache_.size() >= kMaxCacheEntries) cache_.clear();
    cache_.emplace(std::string(piece), std::move(encoded));
  }
}

}  // namespace msearch::tokenizer

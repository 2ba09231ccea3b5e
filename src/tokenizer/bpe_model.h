#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace msearch::tokenizer {

// Line selection of a merges file, which differs between the reference
// tokenizers: CLIPTokenizer reads `read().strip().split("\n")[1 : 48895]`,
// GPT2Tokenizer and RobertaTokenizer read `read().split("\n")[1:-1]`.
enum class MergesLayout {
  kStripThenSkipHeader,    // CLIP: strip the file, skip line 1, keep at most max_merges
  kSkipHeaderAndLastLine,  // GPT-2: skip line 1 and the last line (empty after the final newline)
};

struct BpeOptions {
  // Appended to the last symbol of every word before merging: "</w>" for
  // CLIP, empty for GPT-2 and RoBERTa.
  std::string end_of_word_suffix;
  MergesLayout merges_layout = MergesLayout::kSkipHeaderAndLastLine;
  size_t max_merges = std::numeric_limits<size_t>::max();
  // Token for symbols that are not in the vocabulary; must be in vocab.json.
  std::string unk_token;
  // Pieces that map to their vocabulary entry whole, without the suffix and
  // without merging (CLIP's BPE cache starts with "<|startoftext|>" and
  // "<|endoftext|>").
  std::vector<std::string> whole_pieces;
};

// Byte-level BPE over a vocab.json (token -> id) and merges.txt (one
// "left right" pair per line, highest priority first), as the GPT-2 family
// of tokenizers in transformers 4.27 applies it: the piece's UTF-8 bytes
// become byte symbols (see ByteSymbols), then the adjacent pair with the
// lowest merge rank is merged everywhere, left to right, until no pair has a
// rank. Results are cached per piece. Thread-safe: Encode may run on several
// threads at once.
class BpeModel {
 public:
  // Loads both files. Throws TokenizerError naming the file when one is
  // missing, unreadable or malformed (vocab.json not an object of integer
  // ids, the unk token absent).
  BpeModel(const std::filesystem::path& vocab_json, const std::filesystem::path& merges_txt,
           BpeOptions options);

  BpeModel(const BpeModel&) = delete;
  BpeModel& operator=(const BpeModel&) = delete;

  // Appends the ids of the BPE tokens of one pre-tokenized piece, given as
  // raw UTF-8 (not yet mapped to byte symbols). An empty piece adds nothing.
  void Encode(std::string_view piece, std::vector<int32_t>& ids) const;

  // The id of a vocabulary entry, or nullopt.
  std::optional<int32_t> TokenId(std::string_view token) const;
  // The vocabulary entry of `id`, or an empty view for an id not in vocab.json.
  std::string_view TokenForId(int32_t id) const;

  size_t vocab_size() const { return vocab_.size(); }
  size_t merge_count() const { return merges_.size(); }

 private:
  struct Merge {
    int32_t rank;
    int32_t result;  // symbol index
  };

  int32_t InternSymbol(const std::string& symbol);
  void LoadVocab(const std::filesystem::path& vocab_json);
  void LoadMerges(const std::filesystem::path& merges_txt);
  std::vector<int32_t> EncodeUncached(std::string_view piece) const;

  BpeOptions options_;
  std::unordered_map<std::string, int32_t> vocab_;
  std::unordered_map<int32_t, std::string> tokens_by_id_;
  int32_t unk_id_ = 0;

  // Symbols are every string BPE can produce: vocabulary entries, byte
  // symbols, merge operands and results. Each maps to its vocabulary id, or
  // to unk_id_ when vocab.json lacks it.
  std::unordered_map<std::string, int32_t> symbol_index_;
  std::vector<int32_t> symbol_output_id_;
  int32_t byte_symbol_[256] = {};
  int32_t byte_symbol_last_[256] = {};  // with end_of_word_suffix
  std::unordered_map<uint64_t, Merge> merges_;
  std::unordered_map<std::string, int32_t> whole_piece_ids_;

  mutable std::mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::vector<int32_t>> cache_;
};

}  // namespace msearch::tokenizer

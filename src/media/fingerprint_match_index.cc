#include "media/fingerprint_match_index.h"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "common/error.h"

namespace msearch::media {
namespace {

struct Candidate {
  int votes;
  uint32_t entry;
  int64_t offset;
};

uint64_t PackOffset(uint32_t entry, int64_t offset) {
  return (static_cast<uint64_t>(entry) << 32) | static_cast<uint32_t>(static_cast<int32_t>(offset));
}

Candidate UnpackOffset(uint64_t packed, int votes) {
  return Candidate{votes, static_cast<uint32_t>(packed >> 32),
                   static_cast<int32_t>(static_cast<uint32_t>(packed & 0xffffffffu))};
}

}  // namespace

FingerprintIndex::FingerprintIndex(const FingerprintIndexOptions& options) : options_(options) {
  ValidateFingerprintMatchOptions(options.match);
  if (options.key_bits < 1 || options.key_bits > 32) {
    throw Error(
        fmt::format("invalid fingerprint index key_bits {}: expected 1 to 32", options.key_bits));
  }
  if (options.candidates < 1 || options.refine_items < 0) {
    throw Error(fmt::format(
        "invalid fingerprint index candidates {} or refine_items {}: expected 1+ and 0+",
        options.candidates, options.refine_items));
  }
}

void FingerprintIndex::Add(int64_t id, AudioFingerprint fingerprint) {
  if (!entries_.empty() && entries_.front().fingerprint.algorithm != fingerprint.algorithm) {
    throw Error(
        fmt::format("cannot index a fingerprint of Chromaprint algorithm {} next to "
                    "algorithm {}; fingerprint every file with the same algorithm",
                    fingerprint.algorithm, entries_.front().fingerprint.algorithm));
  }
  // Positions and offsets are stored as 32-bit values; 2^31 items are
  // about 8 years of audio.
  constexpr size_t kMaxItems = std::numeric_limits<int32_t>::max();
  if (fingerprint.items.size() > kMaxItems || entries_.size() >= kMaxItems) {
    throw Error(fmt::format("cannot index fingerprint {}: the index is limited to {} items", id,
                            kMaxItems));
  }
  auto entry = static_cast<uint32_t>(entries_.size());
  for (size_t i = 0; i < fingerprint.items.size(); ++i) {
    postings_[Key(fingerprint.items[i])].push_back(Posting{entry, static_cast<uint32_t>(i)});
  }
  item_count_ += fingerprint.items.size();
  entries_.push_back(Entry{id, std::move(fingerprint)});
}

std::vector<IndexedMatch> FingerprintIndex::Search(const AudioFingerprint& clip,
                                                   size_t max_results) const {
  std::vector<IndexedMatch> results;
  if (entries_.empty() || max_results == 0) return results;
  if (clip.algorithm != entries_.front().fingerprint.algorithm) {
    throw Error(
        fmt::format("cannot search fingerprints of Chromaprint algorithm {} with a clip "
                    "of algorithm {}",
                    entries_.front().fingerprint.algorithm, clip.algorithm));
  }
  if (!IsMatchableClip(clip.items, options_.match)) return results;

  // Each clip item votes for the alignments that put it on an equal key.
  std::unordered_map<uint64_t, int> votes;
  for (size_t i = 0; i < clip.items.size(); ++i) {
    auto found = postings_.find(Key(clip.items[i]));
    if (found == postings_.end() || found->second.size() > options_.max_postings_per_key) continue;
    for (const Posting& posting : found->second) {
      int64_t offset = static_cast<int64_t>(posting.position) - static_cast<int64_t>(i);
      ++votes[PackOffset(posting.entry, offset)];
    }
  }

  std::vector<Candidate> candidates;
  candidates.reserve(votes.size());
  for (const auto& [packed, count] : votes) candidates.push_back(UnpackOffset(packed, count));
  size_t keep = std::min(candidates.size(), static_cast<size_t>(options_.candidates));
  std::partial_sort(candidates.begin(), candidates.begin() + static_cast<ptrdiff_t>(keep),
                    candidates.end(),
                    [](const Candidate& a, const Candidate& b) { return a.votes > b.votes; });
  candidates.resize(keep);

  // Scores each candidate and its neighbours in full; keeps the best
  // alignment per stored fingerprint.
  int64_t min_overlap = MinOverlapItems(clip.items.size(), options_.match);
  std::unordered_map<uint32_t, FingerprintMatch> best_by_entry;
  for (const Candidate& candidate : candidates) {
    const AudioFingerprint& reference = entries_[candidate.entry].fingerprint;
    for (int64_t delta = -options_.refine_items; delta <= options_.refine_items; ++delta) {
      FingerprintMatch match =
          ScoreAlignment(clip.items, reference.items, candidate.offset + delta);
      if (match.aligned_items < min_overlap) continue;
      auto [slot, inserted] = best_by_entry.try_emplace(candidate.entry, match);
      if (!inserted && match.bit_error_rate < slot->second.bit_error_rate) slot->second = match;
    }
  }

  for (auto& [entry, match] : best_by_entry) {
    if (match.bit_error_rate > options_.match.max_bit_error_rate) continue;
    match.matched = true;
    match.offset_seconds =
        static_cast<double>(match.offset_items) * entries_[entry].fingerprint.item_seconds;
    results.push_back(IndexedMatch{entries_[entry].id, match});
  }
  std::sort(results.begin(), results.end(), [](const IndexedMatch& a, const IndexedMatch& b) {
    return a.match.bit_error_rate < b.match.bit_error_rate;
  });
  if (results.size() > max_results) results.resize(max_results);
  return results;
}

}  // namespace msearch::media

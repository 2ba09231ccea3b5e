#include "media/fingerprint_match.h"

#include <algorithm>
#include <bit>
#include <cmath>

#include <fmt/format.h>

#include "common/error.h"

namespace msearch::media {
namespace {

void RequireSameAlgorithm(const AudioFingerprint& clip, const AudioFingerprint& reference) {
  if (clip.algorithm != reference.algorithm) {
    throw Error(
        fmt::format("cannot match fingerprints of Chromaprint algorithms {} and {}; "
                    "fingerprint both with the same algorithm",
                    clip.algorithm, reference.algorithm));
  }
}

// Scores every offset at which enough of the clip overlaps the reference,
// in offset order. Offsets with too little overlap are left out.
std::vector<FingerprintMatch> ScoreAllOffsets(const AudioFingerprint& clip,
                                              const AudioFingerprint& reference,
                                              const FingerprintMatchOptions& options) {
  std::vector<FingerprintMatch> scores;
  int64_t clip_items = static_cast<int64_t>(clip.items.size());
  int64_t reference_items = static_cast<int64_t>(reference.items.size());
  int64_t min_overlap = MinOverlapItems(clip.items.size(), options);
  int64_t first_offset = min_overlap - clip_items;
  int64_t last_offset = reference_items - min_overlap;
  if (last_offset < first_offset) return scores;

  scores.reserve(static_cast<size_t>(last_offset - first_offset + 1));
  for (int64_t offset = first_offset; offset <= last_offset; ++offset) {
    FingerprintMatch match = ScoreAlignment(clip.items, reference.items, offset);
    if (match.aligned_items < min_overlap) continue;
    match.offset_seconds = static_cast<double>(offset) * reference.item_seconds;
    match.matched = match.bit_error_rate <= options.max_bit_error_rate;
    scores.push_back(match);
  }
  return scores;
}

}  // namespace

void ValidateFingerprintMatchOptions(const FingerprintMatchOptions& options) {
  if (!(options.max_bit_error_rate >= 0 && options.max_bit_error_rate <= 1)) {
    throw Error(fmt::format("invalid fingerprint max_bit_error_rate {}: expected 0 to 1",
                            options.max_bit_error_rate));
  }
  if (options.min_aligned_items < 1) {
    throw Error(fmt::format("invalid fingerprint min_aligned_items {}: expected 1 or more",
                            options.min_aligned_items));
  }
  if (!(options.min_overlap_fraction > 0 && options.min_overlap_fraction <= 1)) {
    throw Error(
        fmt::format("invalid fingerprint min_overlap_fraction {}: expected more than 0, "
                    "at most 1",
                    options.min_overlap_fraction));
  }
  if (!(options.min_changing_item_fraction >= 0 && options.min_changing_item_fraction <= 1)) {
    throw Error(fmt::format("invalid fingerprint min_changing_item_fraction {}: expected 0 to 1",
                            options.min_changing_item_fraction));
  }
}

int64_t MinOverlapItems(size_t clip_items, const FingerprintMatchOptions& options) {
  auto by_fraction = static_cast<int64_t>(
      std::ceil(options.min_overlap_fraction * static_cast<double>(clip_items)));
  return std::max<int64_t>({by_fraction, options.min_aligned_items, 1});
}

bool IsMatchableClip(std::span<const uint32_t> clip, const FingerprintMatchOptions& options) {
  if (clip.size() < static_cast<size_t>(options.min_aligned_items) || clip.size() < 2) return false;
  size_t changing = 0;
  for (size_t i = 1; i < clip.size(); ++i) {
    if (clip[i] != clip[i - 1]) ++changing;
  }
  return static_cast<double>(changing) >=
         options.min_changing_item_fraction * static_cast<double>(clip.size() - 1);
}

FingerprintMatch ScoreAlignment(std::span<const uint32_t> clip, std::span<const uint32_t> reference,
                                int64_t offset_items) {
  FingerprintMatch match;
  match.offset_items = offset_items;
  int64_t clip_begin = std::max<int64_t>(0, -offset_items);
  int64_t clip_end = std::min<int64_t>(static_cast<int64_t>(clip.size()),
                                       static_cast<int64_t>(reference.size()) - offset_items);
  if (clip_end <= clip_begin) return match;

  int64_t differing_bits = 0;
  for (int64_t i = clip_begin; i < clip_end; ++i) {
    differing_bits += std::popcount(clip[static_cast<size_t>(i)] ^
                                    reference[static_cast<size_t>(i + offset_items)]);
  }
  match.aligned_items = static_cast<int>(clip_end - clip_begin);
  match.bit_error_rate =
      static_cast<double>(differing_bits) / (32.0 * static_cast<double>(match.aligned_items));
  match.score = std::clamp(1.0 - 2.0 * match.bit_error_rate, 0.0, 1.0);
  return match;
}

FingerprintMatch MatchFingerprint(const AudioFingerprint& clip, const AudioFingerprint& reference,
                                  const FingerprintMatchOptions& options) {
  ValidateFingerprintMatchOptions(options);
  RequireSameAlgorithm(clip, reference);
  FingerprintMatch best;
  if (!IsMatchableClip(clip.items, options)) return best;
  for (const FingerprintMatch& match : ScoreAllOffsets(clip, reference, options)) {
    if (match.bit_error_rate < best.bit_error_rate) best = match;
  }
  return best;
}

std::vector<FingerprintMatch> FindFingerprintOccurrences(const AudioFingerprint& clip,
                                                         const AudioFingerprint& reference,
                                                         const FingerprintMatchOptions& options,
                                                         size_t max_results) {
  ValidateFingerprintMatchOptions(options);
  RequireSameAlgorithm(clip, reference);
  std::vector<FingerprintMatch> occurrences;
  if (!IsMatchableClip(clip.items, options)) return occurrences;

  std::vector<FingerprintMatch> scores = ScoreAllOffsets(clip, reference, options);
  for (size_t i = 0; i < scores.size(); ++i) {
    if (!scores[i].matched) continue;
    // Keeps a local minimum only: no neighbour within the spacing scores
    // lower, and of equal neighbours the first wins.
    bool best_nearby = true;
    for (size_t j = i;
         j-- > 0 && scores[i].offset_items - scores[j].offset_items <= kOccurrenceSpacingItems;) {
      if (scores[j].bit_error_rate <= scores[i].bit_error_rate) best_nearby = false;
    }
    for (size_t j = i + 1; j < scores.size() && scores[j].offset_items - scores[i].offset_items <=
                                                    kOccurrenceSpacingItems;
         ++j) {
      if (scores[j].bit_error_rate < scores[i].bit_error_rate) best_nearby = false;
    }
    if (best_nearby) occurrences.push_back(scores[i]);
  }
  std::sort(occurrences.begin(), occurrences.end(),
            [](const FingerprintMatch& a, const FingerprintMatch& b) {
              return a.bit_error_rate < b.bit_error_rate;
            });
  if (occurrences.size() > max_results) occurrences.resize(max_results);
  return occurrences;
}

}  // namespace msearch::media

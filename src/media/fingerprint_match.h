#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "media/audio_fingerprint.h"

namespace msearch::media {

struct FingerprintMatchOptions {
  // A match needs a bit error rate (differing bits / compared bits over the
  // aligned items) at most this. On the test corpus, clips re-encoded down
  // to 8 kbit/s Opus scored at most 0.09, while the best offset of
  // unrelated speech and music clips of 16 to 40 items scored 0.32 or more.
  double max_bit_error_rate = 0.25;
  // Clips with fewer items (2.5 s of items at 0.1238 s each, from about
  // 5 s of audio) never match: too few bits to tell a match from chance.
  int min_aligned_items = 20;
  // Share of the clip's items that must overlap the reference, so a clip
  // cut at the very end of a recording, whose last items run past the
  // reference's last item, still matches.
  double min_overlap_fraction = 0.8;
  // Clips in which fewer than this share of items differ from the previous
  // item are rejected. Silence and steady tones give runs of equal items
  // and would match any other silence; speech and music change almost
  // every item.
  double min_changing_item_fraction = 0.6;
};

// The best alignment of a clip inside a reference fingerprint.
struct FingerprintMatch {
  bool matched = false;
  // Reference item aligned with the clip's first item. Negative when the
  // clip starts a little before the reference.
  int64_t offset_items = 0;
  double offset_seconds = 0;  // offset_items x item_seconds
  int aligned_items = 0;      // items compared
  double bit_error_rate = 1;  // over the aligned items, 0 (identical) to 1
  // 1 - 2 x bit_error_rate, clamped to [0, 1]: 1 for identical audio, about
  // 0 for unrelated audio.
  double score = 0;
};

// Throws msearch::Error when a field is out of range.
void ValidateFingerprintMatchOptions(const FingerprintMatchOptions& options);

// Returns how many of a clip's items must overlap the reference for an
// alignment to count: min_overlap_fraction of them, at least
// min_aligned_items.
int64_t MinOverlapItems(size_t clip_items, const FingerprintMatchOptions& options);

// Returns true when `clip` is long and varied enough to be matched (see
// min_aligned_items and min_changing_item_fraction).
bool IsMatchableClip(std::span<const uint32_t> clip, const FingerprintMatchOptions& options);

// Scores `clip` aligned at `offset_items` in `reference` (see
// FingerprintMatch), without deciding `matched`. Returns aligned_items 0
// when the two do not overlap.
FingerprintMatch ScoreAlignment(std::span<const uint32_t> clip, std::span<const uint32_t> reference,
                                int64_t offset_items);

// Finds where `clip` occurs in `reference` by sliding it over every offset
// with enough overlap and keeping the lowest bit error rate. Costs one XOR
// and popcount per clip item and offset: fingerprint_bench measured 90 ms
// for a 20 s clip against 2 hours on a loaded 2-core machine. For many or
// long references use FingerprintIndex (about 1 ms there). Returns matched
// false for a clip that is too short, too uniform, or scores above
// max_bit_error_rate. Throws msearch::Error when the two fingerprints use
// different algorithms or the options are invalid.
FingerprintMatch MatchFingerprint(const AudioFingerprint& clip, const AudioFingerprint& reference,
                                  const FingerprintMatchOptions& options = {});

// Minimum distance between two occurrences: 8 items, about 1 s.
inline constexpr int64_t kOccurrenceSpacingItems = 8;

// Finds every place where `clip` occurs in `reference`: the alignments that
// pass max_bit_error_rate and score best within kOccurrenceSpacingItems
// either side. Repeated material (a chorus, a jingle, a looped recording)
// gives one occurrence per repeat. Returns at most `max_results`, lowest
// bit error rate first, all with matched true. Throws as MatchFingerprint.
std::vector<FingerprintMatch> FindFingerprintOccurrences(
    const AudioFingerprint& clip, const AudioFingerprint& reference,
    const FingerprintMatchOptions& options = {}, size_t max_results = 16);

}  // namespace msearch::media

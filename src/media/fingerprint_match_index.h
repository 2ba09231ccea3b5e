#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "media/audio_fingerprint.h"
#include "media/fingerprint_match.h"

namespace msearch::media {

struct FingerprintIndexOptions {
  FingerprintMatchOptions match;
  // Leading bits of an item used as the index key. Fewer bits survive
  // re-encoding more often but collide more. With 16 bits, 28% to 90% of
  // the items of the re-encoded test clips kept their key.
  int key_bits = 16;
  // Keys with more postings than this are skipped when searching, because
  // values such as silence occur everywhere and only add noise votes.
  size_t max_postings_per_key = 4096;
  // Offsets, by votes, whose alignment is scored in full.
  int candidates = 8;
  // Each candidate is also scored this many items either side, because
  // re-encoding and resampling shift the best alignment slightly.
  int refine_items = 2;
};

// A match found by FingerprintIndex::Search.
struct IndexedMatch {
  int64_t id = 0;  // as given to Add
  FingerprintMatch match;
};

// Inverted index from item keys (leading bits of each item) to their
// positions in the stored fingerprints, for finding a short clip in hours
// of audio without scoring every offset. Search lets each clip item vote
// for the offsets where its key occurs, then scores the most-voted offsets
// with the same bit error rate as MatchFingerprint. Clips that share no key
// with the true location are missed (MatchFingerprint would find them).
// Thread-safety: Search may run concurrently; Add needs exclusive access.
class FingerprintIndex {
 public:
  // Throws msearch::Error for invalid options (key_bits outside 1..32).
  explicit FingerprintIndex(const FingerprintIndexOptions& options = {});

  // Stores `fingerprint` under `id`. Every stored fingerprint must use the
  // same algorithm; throws msearch::Error otherwise. Adding an id twice
  // stores two recordings under that id.
  void Add(int64_t id, AudioFingerprint fingerprint);

  size_t fingerprint_count() const { return entries_.size(); }
  size_t item_count() const { return item_count_; }

  // Returns the matching recordings, lowest bit error rate first, at most
  // `max_results`, each with its best offset. Returns an empty list for a
  // clip too short or too uniform to match.
  std::vector<IndexedMatch> Search(const AudioFingerprint& clip, size_t max_results = 10) const;

 private:
  struct Entry {
    int64_t id;
    AudioFingerprint fingerprint;
  };
  struct Posting {
    uint32_t entry;
    uint32_t position;
  };

  uint32_t Key(uint32_t item) const { return item >> (32 - options_.key_bits); }

  FingerprintIndexOptions options_;
  std::vector<Entry> entries_;
  std::unordered_map<uint32_t, std::vector<Posting>> postings_;
  size_t item_count_ = 0;
};

}  // namespace msearch::media

#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "media/audio_fingerprint.h"
#include "media/fingerprint_match_index.h"
#include "store/sqlite.h"

namespace msearch::search {

// A catalogued recording that contains the query clip.
struct RecordingMatch {
  int64_t file_id = 0;
  media::FingerprintMatch match;  // offset_seconds: where the clip starts in the file
};

// Finds the files whose audio contains a clip, through an in-memory
// media::FingerprintIndex over the catalog's fingerprints table. The index
// is built on first use and rebuilt when the table changes. Each search
// first compares a signature of the table (row count, highest file id,
// total size, latest analysis time of any file) with the one the index was
// built from, so a query finds the fingerprints stored before it started.
//
// NOTE: a rebuild reads every fingerprint and keeps about 8 bytes per item
// (0.12 s of audio), so its time and memory grow with the hours of audio
// catalogued. While files are being analysed, most audio queries pay for a
// rebuild.
//
// Thread-safe. Searches share the current index, and one rebuild runs at a
// time while other searches wait for it.
class FingerprintSearcher {
 public:
  explicit FingerprintSearcher(media::FingerprintIndexOptions options = {});

  // Returns the recordings containing `clip`, best first, at most
  // `max_results`, after rebuilding the index if the table changed. Returns
  // none for a clip too short or too uniform to match. `catalog` is the
  // caller's connection, used by this thread only.
  std::vector<RecordingMatch> Search(store::Database& catalog, const media::AudioFingerprint& clip,
                                     size_t max_results);

  // Returns true when `clip` is long and varied enough to be matched at all.
  bool IsMatchable(const media::AudioFingerprint& clip) const;

 private:
  struct Signature {
    int64_t rows = 0;
    int64_t max_file_id = 0;
    int64_t bytes = 0;
    double latest_analysis = 0;

    friend bool operator==(const Signature&, const Signature&) = default;
  };

  static Signature ReadSignature(store::Database& catalog);
  std::shared_ptr<const media::FingerprintIndex> Build(store::Database& catalog) const;

  const media::FingerprintIndexOptions options_;
  std::mutex mutex_;  // guards the fields below and serialises rebuilds
  std::optional<Signature> signature_;
  std::shared_ptr<const media::FingerprintIndex> index_;
};

}  // namespace msearch::search

#include "search/fingerprint_search.h"

#include <chrono>
#include <cstring>

#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "common/error.h"
#include "common/logging.h"

namespace msearch::search {

FingerprintSearcher::FingerprintSearcher(media::FingerprintIndexOptions options)
    : options_(options) {
  media::FingerprintIndex check(options_);  // throws now for invalid options
}

bool FingerprintSearcher::IsMatchable(const media::AudioFingerprint& clip) const {
  return media::IsMatchableClip(clip.items, options_.match);
}

FingerprintSearcher::Signature FingerprintSearcher::ReadSignature(store::Database& catalog) {
  Signature signature;
  store::Statement rows = catalog.Prepare(
      "SELECT count(*), coalesce(max(file_id), 0), coalesce(sum(length(items)), 0) "
      "FROM fingerprints");
  if (rows.Step()) {
    signature.rows = rows.ColumnInt(0);
    signature.max_file_id = rows.ColumnInt(1);
    signature.bytes = rows.ColumnInt(2);
  }
  // A file analysed again keeps its id and may keep its fingerprint's size,
  // so only its new analysis time reveals the change.
  store::Statement analysed = catalog.Prepare("SELECT coalesce(max(analyzed_at), 0) FROM files");
  if (analysed.Step()) signature.latest_analysis = analysed.ColumnDouble(0);
  return signature;
}

std::shared_ptr<const media::FingerprintIndex> FingerprintSearcher::Build(
    store::Database& catalog) const {
  static LogRateLimiter skipped_log(3, std::chrono::seconds(600));
  double started = MonotonicSeconds();
  auto index = std::make_shared<media::FingerprintIndex>(options_);
  store::Statement select =
      catalog.Prepare("SELECT file_id, algorithm, item_seconds, items FROM fingerprints");
  size_t skipped = 0;
  while (select.Step()) {
    media::AudioFingerprint fingerprint;
    int64_t file_id = select.ColumnInt(0);
    fingerprint.algorithm = static_cast<int>(select.ColumnInt(1));
    fingerprint.item_seconds = select.ColumnDouble(2);
    std::span<const std::byte> bytes = select.ColumnBlob(3);
    if (bytes.size() % sizeof(uint32_t) != 0 || bytes.empty()) {
      ++skipped;
      continue;
    }
    fingerprint.items.resize(bytes.size() / sizeof(uint32_t));
    std::memcpy(fingerprint.items.data(), bytes.data(), bytes.size());
    try {
      index->Add(file_id, std::move(fingerprint));
    } catch (const Error& error) {
      // The fingerprint uses a different Chromaprint algorithm than the first one added.
      ++skipped;
      size_t suppressed = 0;
      if (skipped_log.Allow("add", &suppressed)) {
        spdlog::warn(
            "fingerprint of file {} left out of the search index: {} ({} similar "
            "warnings suppressed)",
            file_id, error.what(), suppressed);
      }
    }
  }
  spdlog::info("built the fingerprint search index: {} recordings, {} items, {} skipped, {:.2f} s",
               index->fingerprint_count(), index->item_count(), skipped,
               MonotonicSeconds() - started);
  return index;
}

std::vector<RecordingMatch> FingerprintSearcher::Search(store::Database& catalog,
                                                        const media::AudioFingerprint& clip,
                                                        size_t max_results) {
  if (!IsMatchable(clip)) return {};
  std::shared_ptr<const media::FingerprintIndex> index;
  {
    std::lock_guard lock(mutex_);
    Signature signature = ReadSignature(catalog);
    if (!index_ || signature_ != signature) {
      index_ = Build(catalog);
      signature_ = signature;
    }
    index = index_;
  }
  std::vector<RecordingMatch> matches;
  for (const media::IndexedMatch& found : index->Search(clip, max_results)) {
    matches.push_back({found.id, found.match});
  }
  return matches;
}

}  // namespace msearch::search

#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "media/fingerprint_match_index.h"
#include "media/video_segment.h"
#include "search/fingerprint_search.h"
#include "search/index_manager.h"
#include "search/query_encoders.h"
#include "search/query_media.h"
#include "search/rank_fusion.h"
#include "search/search_request.h"
#include "search/search_result.h"
#include "store/catalog.h"

namespace msearch::search {

struct SearchServiceOptions {
  ModalityWeights weights;
  // A text query that names sounds (see NamesSound) multiplies the audio
  // weight by this, then scales all weights so the largest is 1.
  double sound_audio_factor = 2.0;

  // Calibration of each matcher's raw score (see rank_fusion.h). Cosine
  // similarities of text to image vectors are low even for good matches
  // (CLIP ViT-B/32 puts a fitting caption near 0.3 and unrelated text near
  // 0.15), while those of two images of the same scene are high. These
  // defaults are estimates for the default models, not measurements.
  // NOTE: tune them on a labelled collection once real checkpoints run.
  ScoreCalibration text_to_image{0.19, 0.33};
  ScoreCalibration text_to_audio{0.15, 0.50};
  ScoreCalibration image_to_image{0.75, 1.0};
  ScoreCalibration audio_to_audio{0.60, 1.0};
  // FingerprintMatch::score: 1 - 2 x bit error rate. The matcher accepts a
  // bit error rate up to 0.25 (score 0.5), and heavily re-encoded copies of
  // the same recording score about 0.8.
  ScoreCalibration fingerprint{0.3, 0.8};
  // Full-text scores (bm25 mapped into (0, 1]) are used as they are, because
  // every word of the query was found, so any such hit is a real match.

  size_t max_segments_per_file = 20;
  // Rows read from each full-text index per query.
  size_t text_candidates = 200;
  // Vectors fetched per space and query: top_k times this, at least
  // min_vector_candidates. Filters fetch more, up to max_vector_candidates,
  // until enough files pass them.
  size_t vector_candidates_per_result = 4;
  size_t min_vector_candidates = 50;
  size_t max_vector_candidates = 8192;
  // Recordings a fingerprint search returns.
  size_t max_fingerprint_matches = 20;

  // Segmentation of query videos and choice of the frames that represent
  // each segment. These are the media pipeline's settings, so a clip of an
  // indexed video gives the vectors stored for it.
  media::SegmentOptions video_segments;
  // At most this many segments of a query video are encoded, spread over it.
  size_t max_query_video_segments = 16;
  // Maximum seconds of a query file that are decoded (audio and video
  // frames), counted from its start or start_time.
  double max_query_audio_seconds = 600;
  media::FingerprintIndexOptions fingerprints;
};

// Runs queries. Each query is encoded into every embedding space that can
// match it. The service searches the vector indexes, the full-text indexes
// of recognised text and of names, paths and tags, and the audio
// fingerprints. It then combines the evidence per file (see rank_fusion.h),
// filters, sorts and cuts the list. Results name only files still in the catalog. Vector hits
// whose catalog rows are gone are dropped and removed from the index.
//
// Thread-safe. Queries run concurrently, each with the catalog connection
// that its caller passes in.
class SearchService {
 public:
  // `encoders` and `index` may be null. Without encoders, only full-text and
  // fingerprint matching run. Without an index, vector matching is skipped.
  SearchService(SearchServiceOptions options, std::shared_ptr<QueryEncoders> encoders,
                std::shared_ptr<IndexManager> index);

  // Enables vector matching. Call it after IndexManager::Open has returned.
  // Until then, queries carry a warning that matches by content are missing.
  void SetIndexReady() { index_ready_ = true; }
  // Records that IndexManager::Open failed, so the warning tells the user to
  // restart instead of to retry.
  void SetIndexFailed() { index_failed_ = true; }
  bool index_ready() const { return index_ && index_ready_; }

  // Each throws InvalidQueryError for an input that cannot be used and
  // ModelUnavailableError when a model the query needs is missing and no
  // other matcher can run. SearchText never needs a model.
  SearchOutcome SearchText(const TextQuery& query, const SearchOptions& options,
                           store::Catalog& catalog);
  SearchOutcome SearchImage(const ImageQuery& query, const SearchOptions& options,
                            store::Catalog& catalog);
  SearchOutcome SearchAudio(const AudioQuery& query, const SearchOptions& options,
                            store::Catalog& catalog);
  SearchOutcome SearchVideo(const VideoQuery& query, const SearchOptions& options,
                            store::Catalog& catalog);

  QueryEncoders* encoders() const { return encoders_.get(); }
  IndexManager* index() const { return index_.get(); }
  const SearchServiceOptions& options() const { return options_; }

 private:
  class Run;

  // Returns the warning of a query that runs without the vector indexes.
  const char* IndexUnavailableWarning() const;
  // Adds the evidence of vector neighbours of `vector` in its space.
  void AddVectorEvidence(Run& run, const SpaceVector& vector, const ScoreCalibration& calibration);
  // Adds full-text evidence from recognised text and from names, paths and tags.
  void AddTextEvidence(Run& run, const std::string& text);
  // Adds the recordings that contain `clip`, each with the stretch where it
  // occurs. `clip_seconds` is the length of the audio the clip was made from.
  void AddFingerprintEvidence(Run& run, const media::AudioFingerprint& clip, double clip_seconds);
  // Adds the evidence of the query's sound in `range`: recordings that
  // contain it and audio vectors. Returns false, with a warning in `run`,
  // when neither could run.
  bool AddSoundEvidence(Run& run, const std::filesystem::path& path, const QueryRange& range);
  // Adds the vectors stored since the last catch-up to the index.
  void CatchUpIndex();
  SearchOutcome Finish(Run& run);

  const SearchServiceOptions options_;
  const std::shared_ptr<QueryEncoders> encoders_;
  const std::shared_ptr<IndexManager> index_;
  std::atomic<bool> index_ready_{false};
  std::atomic<bool> index_failed_{false};
  FingerprintSearcher fingerprints_;
};

}  // namespace msearch::search

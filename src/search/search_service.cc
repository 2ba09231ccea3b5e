#include "search/search_service.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/logging.h"
#include "search/catalog_lookup.h"
#include "search/query_language.h"
#include "search/query_media.h"
#include "search/result_grouping.h"
#include "search/search_errors.h"
#include "store/extraction_store.h"

namespace msearch::search {

// The state of one query: its options, the evidence found so far and the
// catalog entries read for it.
class SearchService::Run {
 public:
  Run(store::Catalog& catalog, const SearchOptions& options, ModalityWeights weights)
      : catalog_(catalog), options_(options), weights_(weights) {}

  store::Catalog& catalog() { return catalog_; }
  const SearchOptions& options() const { return options_; }
  const ModalityWeights& weights() const { return weights_; }
  std::vector<Evidence>& evidence() { return evidence_; }
  SearchOutcome& outcome() { return outcome_; }

  // The catalog entry of a file, read once per query; nullptr when the
  // file is no longer catalogued.
  const store::FileRecord* File(int64_t file_id) {
    auto found = files_.find(file_id);
    if (found == files_.end()) found = files_.emplace(file_id, catalog_.FindFile(file_id)).first;
    return found->second ? &*found->second : nullptr;
  }
  void Remember(const store::FileRecord& file) { files_.emplace(file.id, file); }

  // True when the file is still catalogued and passes the filters.
  bool Passes(int64_t file_id) {
    const store::FileRecord* file = File(file_id);
    return file != nullptr && PassesFilters(*file, options_.filters);
  }

  void Warn(const std::string& message) {
    std::vector<std::string>& warnings = outcome_.warnings;
    if (std::find(warnings.begin(), warnings.end(), message) == warnings.end()) {
      warnings.push_back(message);
    }
  }

 private:
  store::Catalog& catalog_;
  const SearchOptions& options_;
  const ModalityWeights weights_;
  std::vector<Evidence> evidence_;
  SearchOutcome outcome_;
  std::unordered_map<int64_t, std::optional<store::FileRecord>> files_;
};

namespace {

constexpr char kIndexLoading[] =
    "the vector indexes are still loading, so matches by content are missing; retry in a moment";
constexpr char kIndexFailed[] =
    "the vector indexes failed to open, so matches by content are missing; see the main "
    "process log for the reason, then restart msearch";

Modality ModalityOf(const EmbeddingLocation& location, const store::FileRecord& file) {
  if (location.segment_id) return location.track == "audio" ? Modality::kAudio : Modality::kVideo;
  if (file.kind == "video") return Modality::kVideo;
  if (file.kind == "audio") return Modality::kAudio;
  return Modality::kImage;
}

bool IsAudioFamily(const std::string& family) { return family == "clap"; }

}  // namespace

SearchService::SearchService(SearchServiceOptions options, std::shared_ptr<QueryEncoders> encoders,
                             std::shared_ptr<IndexManager> index)
    : options_(std::move(options)),
      encoders_(std::move(encoders)),
      index_(std::move(index)),
      fingerprints_(options_.fingerprints) {}

void SearchService::CatchUpIndex() {
  if (!index_ready()) return;
  static LogRateLimiter limiter(3, std::chrono::seconds(600));
  try {
    index_->CatchUpRecent();
  } catch (const std::exception& error) {
    // The background catch-up retries; this query uses the index as it is.
    size_t suppressed = 0;
    if (limiter.Allow("recent", &suppressed)) {
      spdlog::warn(
          "search could not add the newest vectors to the index: {} ({} similar "
          "warnings suppressed)",
          error.what(), suppressed);
    }
  }
}

const char* SearchService::IndexUnavailableWarning() const {
  return index_failed_ ? kIndexFailed : kIndexLoading;
}

void SearchService::AddVectorEvidence(Run& run, const SpaceVector& vector,
                                      const ScoreCalibration& calibration) {
  if (!index_ready()) {
    if (index_) run.Warn(IndexUnavailableWarning());
    return;
  }
  std::shared_ptr<VectorIndex> index = index_->FindIndex(vector.space);
  if (!index || index->size() == 0) return;
  if (index->dimension() != vector.vector.size()) {
    run.Warn(fmt::format(
        "the vectors of space '{}' have {} dimensions but the model '{}' makes {}; they "
        "come from another version of the model, so re-embed them or reinstall that version",
        vector.space, index->dimension(), vector.model, vector.vector.size()));
    return;
  }
  std::vector<std::string>& spaces = run.outcome().spaces;
  if (std::find(spaces.begin(), spaces.end(), vector.space) == spaces.end()) {
    spaces.push_back(vector.space);
  }

  const SearchOptions& options = run.options();
  size_t k = std::max(options_.min_vector_candidates,
                      options.top_k * options_.vector_candidates_per_result);
  if (!options.filters.empty()) k *= 4;
  k = std::min(k, options_.max_vector_candidates);
  std::vector<SearchHit> hits;
  std::unordered_map<int64_t, EmbeddingLocation> locations;
  // Filters may reject most neighbours, so fetch more until enough files
  // pass or the index has no more above the floor.
  while (true) {
    hits = index->Search(vector.vector, k, {}, static_cast<float>(calibration.floor));
    std::vector<int64_t> ids;
    for (const SearchHit& hit : hits) ids.push_back(hit.id);
    locations = LocateEmbeddings(run.catalog().database(), ids);
    std::unordered_set<int64_t> passing;
    for (const auto& [id, location] : locations) {
      if (run.Passes(location.file_id)) passing.insert(location.file_id);
    }
    if (passing.size() >= options.top_k || hits.size() < k || k >= options_.max_vector_candidates) {
      break;
    }
    k = std::min(k * 4, options_.max_vector_candidates);
  }

  std::vector<int64_t> stale;
  for (const SearchHit& hit : hits) {
    auto found = locations.find(hit.id);
    if (found == locations.end()) {
      stale.push_back(hit.id);
      continue;
    }
    const EmbeddingLocation& location = found->second;
    if (!run.Passes(location.file_id)) continue;
    const store::FileRecord& file = *run.File(location.file_id);
    Modality modality = ModalityOf(location, file);
    double score = Calibrate(hit.score, calibration) * run.weights().For(modality);
    if (!(score > 0)) continue;
    Evidence evidence;
    evidence.file_id = location.file_id;
    evidence.source = MatchSource::kVector;
    evidence.modality = modality;
    evidence.score = score;
    if (location.segment_id) {
      SegmentMatch segment;
      segment.track = location.track;
      segment.index = location.segment_index;
      segment.start_s = location.start_s;
      segment.end_s = location.end_s;
      segment.centre_s = (location.start_s + location.end_s) / 2;
      segment.representative_s = location.representative_s;
      segment.thumbnail_path = location.thumbnail_path;
      evidence.segment = segment;
    }
    run.evidence().push_back(std::move(evidence));
  }
  if (!stale.empty()) {
    // Their rows were deleted because the file is gone or was embedded
    // again. The periodic catch-up would remove them later.
    size_t removed = index_->RemoveIds(stale);
    spdlog::debug("search removed {} vectors of space '{}' that are no longer catalogued", removed,
                  vector.space);
  }
}

void SearchService::AddTextEvidence(Run& run, const std::string& text) {
  const double weight = run.weights().For(Modality::kText);
  if (!(weight > 0)) return;
  const int64_t limit = static_cast<int64_t>(options_.text_candidates);

  store::ExtractionStore extraction(run.catalog().database());
  for (store::TextMatch& match : extraction.SearchTexts(text, limit)) {
    if (!run.Passes(match.file_id)) continue;
    const store::FileRecord& file = *run.File(match.file_id);
    Evidence evidence;
    evidence.file_id = match.file_id;
    evidence.source = MatchSource::kText;
    evidence.modality = Modality::kText;
    evidence.score = match.score * weight;
    if (match.start_s && match.end_s) {
      SegmentMatch segment;
      segment.track = file.kind == "audio" ? "audio" : "video";
      segment.start_s = *match.start_s;
      segment.end_s = *match.end_s;
      segment.centre_s = (*match.start_s + *match.end_s) / 2;
      evidence.segment = segment;
    }
    evidence.matched_text = std::move(match.text);
    run.evidence().push_back(std::move(evidence));
  }

  const std::vector<std::string>& types = run.options().filters.file_types;
  std::optional<std::string> kind;
  if (types.size() == 1) kind = types.front();
  for (store::TextHit& hit : run.catalog().SearchText(text, limit, kind)) {
    run.Remember(hit.file);
    if (!run.Passes(hit.file.id)) continue;
    Evidence evidence;
    evidence.file_id = hit.file.id;
    evidence.source = MatchSource::kMetadata;
    evidence.modality = Modality::kText;
    evidence.score = hit.score * weight;
    evidence.matched_fields = std::move(hit.matched_fields);
    run.evidence().push_back(std::move(evidence));
  }
}

void SearchService::AddFingerprintEvidence(Run& run, const media::AudioFingerprint& clip,
                                           double clip_seconds) {
  const double weight = run.weights().For(Modality::kAudio);
  for (const RecordingMatch& found :
       fingerprints_.Search(run.catalog().database(), clip, options_.max_fingerprint_matches)) {
    if (!run.Passes(found.file_id)) continue;
    double score = Calibrate(found.match.score, options_.fingerprint) * weight;
    if (!(score > 0)) continue;
    Evidence evidence;
    evidence.file_id = found.file_id;
    evidence.source = MatchSource::kFingerprint;
    evidence.modality = Modality::kAudio;
    evidence.score = score;
    SegmentMatch segment;
    segment.track = "audio";
    segment.start_s = std::max(0.0, found.match.offset_seconds);
    // The fingerprint items cover less than the decoded audio because the
    // first item needs about 2.6 s of it, so the end comes from the clip's length.
    segment.end_s = found.match.offset_seconds + clip_seconds;
    segment.centre_s = (segment.start_s + segment.end_s) / 2;
    evidence.segment = segment;
    run.evidence().push_back(std::move(evidence));
  }
}

bool SearchService::AddSoundEvidence(Run& run, const std::filesystem::path& path,
                                     const QueryRange& range) {
  bool searched = false;
  media::AudioFingerprint clip = FingerprintRange(path, range);
  if (fingerprints_.IsMatchable(clip)) {
    AddFingerprintEvidence(run, clip, range.end_s - range.start_s);
    searched = true;
  } else {
    run.Warn(
        "the query sound is too short or too uniform to be matched as a recording; about 5 s of "
        "varied sound are needed");
  }

  if (encoders_ && encoders_->AudioModelInstalled()) {
    std::vector<float> samples = DecodeAudioRange(path, encoders_->AudioSampleRate(), range);
    if (!samples.empty()) {
      AddVectorEvidence(run, encoders_->EncodeWaveformMean(samples), options_.audio_to_audio);
      searched = true;
    }
  } else if (encoders_ && encoders_->models().audio) {
    run.Warn(fmt::format(
        "the audio model '{}' is not installed, so sounds are matched only as exact recordings",
        encoders_->models().audio->name));
  }
  return searched;
}

SearchOutcome SearchService::SearchText(const TextQuery& query, const SearchOptions& options,
                                        store::Catalog& catalog) {
  ModalityWeights weights = NamesSound(query.text)
                                ? ShiftToAudio(options_.weights, options_.sound_audio_factor)
                                : options_.weights;
  Run run(catalog, options, weights);
  CatchUpIndex();
  bool chinese = ContainsChinese(query.text);
  if (encoders_ && index_ && !index_ready()) run.Warn(IndexUnavailableWarning());
  if (encoders_ && index_ready()) {
    // Only spaces with vectors are worth encoding the text for.
    auto has_vectors = [this](const std::string& space) {
      std::shared_ptr<VectorIndex> index = index_->FindIndex(space);
      return index && index->size() > 0;
    };
    std::vector<std::string> notes;
    std::vector<SpaceVector> vectors =
        encoders_->EncodeText(query.text, chinese, has_vectors, &notes);
    for (const std::string& note : notes) run.Warn(note);
    for (const SpaceVector& vector : vectors) {
      AddVectorEvidence(
          run, vector,
          IsAudioFamily(vector.family) ? options_.text_to_audio : options_.text_to_image);
    }
    if (chinese && vectors.empty()) {
      run.Warn(
          "no installed model with vectors in the index reads Chinese, so only recognised "
          "text, names, paths and tags were searched");
    }
  }
  AddTextEvidence(run, query.text);
  return Finish(run);
}

SearchOutcome SearchService::SearchImage(const ImageQuery& query, const SearchOptions& options,
                                         store::Catalog& catalog) {
  if (!encoders_) throw ModelUnavailableError("searching by image needs the image model");
  Run run(catalog, options, options_.weights);
  CatchUpIndex();
  AddVectorEvidence(run, encoders_->EncodeImageFile(query.path), options_.image_to_image);
  return Finish(run);
}

SearchOutcome SearchService::SearchAudio(const AudioQuery& query, const SearchOptions& options,
                                         store::Catalog& catalog) {
  store::MediaInfo info = ProbeQueryFile(query.path);
  if (!info.has_audio) {
    throw InvalidQueryError(fmt::format("'{}' contains no audio stream", query.path.string()));
  }
  QueryRange range =
      ResolveQueryRange(info, std::nullopt, std::nullopt, options_.max_query_audio_seconds);
  Run run(catalog, options, options_.weights);
  CatchUpIndex();
  if (!AddSoundEvidence(run, query.path, range)) {
    throw ModelUnavailableError(
        "the query sound is too short or too uniform to be matched as a recording, and no audio "
        "model is installed; install one or search with a longer clip");
  }
  return Finish(run);
}

SearchOutcome SearchService::SearchVideo(const VideoQuery& query, const SearchOptions& options,
                                         store::Catalog& catalog) {
  store::MediaInfo info = ProbeQueryFile(query.path);
  if (!info.has_video && !info.has_audio) {
    throw InvalidQueryError(
        fmt::format("'{}' contains neither a video nor an audio stream", query.path.string()));
  }
  QueryRange range =
      ResolveQueryRange(info, query.start_s, query.end_s, options_.max_query_audio_seconds);
  Run run(catalog, options, options_.weights);
  CatchUpIndex();
  bool searched = false;
  if (info.has_video) {
    if (encoders_ && encoders_->ImageModelInstalled()) {
      std::vector<std::vector<preprocess::RgbImage>> segments = QueryVideoFrames(
          query.path, options_.video_segments, range, options_.max_query_video_segments);
      for (const std::vector<preprocess::RgbImage>& frames : segments) {
        AddVectorEvidence(run, encoders_->EncodeImagesMean(frames), options_.image_to_image);
        searched = true;
      }
    } else if (encoders_ && encoders_->models().image) {
      run.Warn(fmt::format(
          "the image model '{}' is not installed, so the pictures of the video were not searched",
          encoders_->models().image->name));
    }
  }
  if (info.has_audio) searched = AddSoundEvidence(run, query.path, range) || searched;
  if (!searched) {
    throw ModelUnavailableError(
        "nothing of the query video can be searched: its pictures need the image model, and its "
        "sound is missing, too short for a recording match or needs the audio model");
  }
  return Finish(run);
}

SearchOutcome SearchService::Finish(Run& run) {
  std::vector<FileMatch> matches = GroupByFile(run.evidence(), options_.max_segments_per_file);
  std::vector<SearchResultItem> items;
  items.reserve(matches.size());
  for (FileMatch& match : matches) {
    const store::FileRecord* file = run.File(match.file_id);
    if (file == nullptr || !PassesFilters(*file, run.options().filters)) continue;
    SearchResultItem item;
    item.file = *file;
    item.score = match.score;
    item.modality = match.modality;
    item.sources = std::move(match.sources);
    item.matched_fields = std::move(match.matched_fields);
    item.matched_text = std::move(match.matched_text);
    item.segments = std::move(match.segments);
    item.best_segment = std::move(match.best_segment);
    items.push_back(std::move(item));
  }
  SearchOutcome& outcome = run.outcome();
  outcome.total_matches = SortAndCut(items, run.options());
  for (SearchResultItem& item : items) item.info = run.catalog().GetMediaInfo(item.file.id);
  outcome.items = std::move(items);
  return std::move(outcome);
}

}  // namespace msearch::search

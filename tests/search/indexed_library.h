#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "pipeline/analysis_options.h"
#include "search/index_manager.h"
#include "search/query_encoders.h"
#include "search/search_service.h"
#include "store/catalog.h"
#include "support/temp_dir.h"

namespace msearch::search::testing {

// Spaces of the fixture models as IndexedLibrary installs them.
inline constexpr char kClipSpace[] = "test-clip";
inline constexpr char kChineseClipSpace[] = "test-chinese-clip";
inline constexpr char kClapSpace[] = "test-clap";

// Copies the checkpoint files of a fixture model (without its goldens) to
// <models_dir>/<name>, as `msearch models import` installs a model.
void InstallFixtureModel(const std::filesystem::path& fixture,
                         const std::filesystem::path& models_dir, const std::string& name);

// Runs the ffmpeg command-line tool with `arguments` after "-nostdin
// -loglevel error -y", without a shell. Returns true when it exits with 0.
bool RunFfmpeg(const std::vector<std::string>& arguments);

// Writes a 32 s recording to `output` (its extension picks the format) made
// of five different corpus clips in a row, so every part of it occurs once.
// The clips are speech_en_espeak.wav (8.2 s), music_sox_chords_16bit_44k_stereo.wav (6 s),
// speech_librivox_id3v23_cover.mp3 (7.1 s), speech_zh_espeak.wav (5.5 s)
// and speech_opus_tagged.opus (5.3 s). Returns an empty path on failure.
std::filesystem::path WriteLongRecording(const std::filesystem::path& shared,
                                         const std::filesystem::path& output);

// Writes a 9 s, 25 fps H.264 video of three corpus images shown for 3 s
// each (cat_chelsea_baseline.jpg, rocket_launch.jpg, text_en_invoice.png),
// so its scenes are [0, 3), [3, 6) and [6, 9). Returns false on failure.
bool WriteStillsVideo(const std::filesystem::path& shared, const std::filesystem::path& output);

// Models that IndexedLibrary embeds files with.
struct LibraryModels {
  bool clip = true;           // images and video segments, in kClipSpace
  bool chinese_clip = false;  // images also in kChineseClipSpace
  bool clap = false;          // audio windows, in kClapSpace
};

// A catalog in a temporary folder, filled the way msearch indexes files.
// Each file is catalogued under the watched folder media/, probed, analysed
// by the media pipeline (segments, OCR in English and Chinese, audio
// fingerprints) and embedded with the random-weight fixture models. A
// video segment's vector is the normalised mean of its frames' vectors. The
// fixture models are installed under models/ as test-clip,
// test-chinese-clip and test-clap.
class IndexedLibrary {
 public:
  IndexedLibrary(const std::filesystem::path& shared, LibraryModels models = {});

  // Copies `source` into media/ (as `name` when given) and indexes it.
  // Returns its file id.
  int64_t Add(const std::filesystem::path& source, const std::string& name = "");
  // Indexes a file already inside media/.
  int64_t Index(const std::filesystem::path& path);

  // Creates a search service over this library, with an IndexManager opened
  // on the catalog and the installed fixture models as image (test-clip),
  // text (test-clip, test-chinese-clip) and audio (test-clap) models.
  std::unique_ptr<SearchService> MakeService(SearchServiceOptions options);
  // Returns the options that MakeService callers start from: the pipeline's
  // video segmentation and the default calibrations.
  SearchServiceOptions DefaultOptions() const;
  // Returns the model list that MakeService uses.
  QueryModels Models() const;

  store::Catalog& catalog() { return catalog_; }
  const std::filesystem::path& root() const { return dir_.path(); }
  std::filesystem::path media_dir() const { return dir_ / "media"; }
  std::filesystem::path models_dir() const { return dir_ / "models"; }
  std::filesystem::path catalog_path() const { return dir_ / "catalog.db"; }
  std::filesystem::path scratch_dir() const { return dir_ / "scratch"; }
  int64_t directory_id() const { return directory_id_; }
  std::shared_ptr<IndexManager> index() const { return index_; }

 private:
  void Embed(int64_t file_id, const std::filesystem::path& path, const store::MediaInfo& info,
             const std::map<int, std::vector<float>>& segment_vectors);

  msearch::testing::TempDir dir_;
  LibraryModels models_;
  store::Catalog catalog_;
  int64_t directory_id_ = 0;
  pipeline::AnalysisOptions analysis_;
  std::unique_ptr<embedding::Encoder> clip_;
  std::unique_ptr<embedding::Encoder> chinese_clip_;
  std::unique_ptr<embedding::Encoder> clap_;
  std::shared_ptr<IndexManager> index_;
};

}  // namespace msearch::search::testing

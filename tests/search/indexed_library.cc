#include "indexed_library.h"

#include <cctype>
#include <cmath>
#include <map>
#include <stdexcept>

#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "config/config.h"
#include "media/audio_decode.h"
#include "media/media_kind.h"
#include "media/probe.h"
#include "pipeline/analysis_store.h"
#include "pipeline/file_analysis.h"
#include "preprocess/image_decode.h"
#include "store/embedding_store.h"
#include "store/extraction_store.h"

extern char** environ;

namespace msearch::search::testing {
namespace {

namespace fs = std::filesystem;

std::vector<float> NormalizedMean(const std::vector<std::vector<float>>& rows) {
  std::vector<double> sum(rows.at(0).size(), 0.0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < sum.size(); ++i) sum[i] += row[i];
  }
  double norm = 0;
  for (double value : sum) norm += value * value;
  norm = std::sqrt(norm);
  std::vector<float> mean(sum.size());
  for (size_t i = 0; i < sum.size(); ++i) mean[i] = static_cast<float>(sum[i] / norm);
  return mean;
}

preprocess::RgbImage ToModelImage(const media::RgbImage& image) {
  return {image.width, image.height, image.rgb};
}

// Creates the library folder's media/ and returns the catalog path inside it.
fs::path PrepareLibraryDir(const fs::path& dir) {
  fs::create_directories(dir / "media");
  return dir / "catalog.db";
}

std::string LowerExtension(const fs::path& path) {
  std::string extension = path.extension().string();
  for (char& c : extension) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return extension;
}

}  // namespace

void InstallFixtureModel(const fs::path& fixture, const fs::path& models_dir,
                         const std::string& name) {
  fs::path target = models_dir / name;
  fs::create_directories(target);
  for (const auto& entry : fs::directory_iterator(fixture)) {
    std::string file = entry.path().filename().string();
    if (entry.is_regular_file() && file != "goldens.safetensors" && file != "cases.json" &&
        file != "tokenizer_cases.json") {
      fs::copy_file(entry.path(), target / file, fs::copy_options::overwrite_existing);
    }
  }
}

bool RunFfmpeg(const std::vector<std::string>& arguments) {
  std::vector<std::string> command = {"ffmpeg", "-nostdin", "-loglevel", "error", "-y"};
  command.insert(command.end(), arguments.begin(), arguments.end());
  std::vector<char*> argv;
  for (std::string& argument : command) argv.push_back(argument.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawnp(&pid, "ffmpeg", nullptr, nullptr, argv.data(), environ) != 0) return false;
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return false;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

fs::path WriteLongRecording(const fs::path& shared, const fs::path& output) {
  const fs::path audio = shared / "corpus/audio";
  std::vector<std::string> arguments;
  std::string filter;
  int input = 0;
  for (const char* clip :
       {"speech_en_espeak.wav", "music_sox_chords_16bit_44k_stereo.wav",
        "speech_librivox_id3v23_cover.mp3", "speech_zh_espeak.wav", "speech_opus_tagged.opus"}) {
    arguments.insert(arguments.end(), {"-i", (audio / clip).string()});
    filter += "[" + std::to_string(input) + ":a]aresample=22050,aformat=channel_layouts=mono[a" +
              std::to_string(input) + "];";
    ++input;
  }
  for (int i = 0; i < input; ++i) filter += "[a" + std::to_string(i) + "]";
  filter += "concat=n=5:v=0:a=1";
  arguments.insert(arguments.end(), {"-filter_complex", filter, "-b:a", "64k", output.string()});
  if (!RunFfmpeg(arguments)) return {};
  return output;
}

bool WriteStillsVideo(const fs::path& shared, const fs::path& output) {
  const fs::path images = shared / "corpus/images";
  const std::string scale = "scale=320:240,setsar=1,fps=25";
  return RunFfmpeg(
      {"-loop",
       "1",
       "-t",
       "3",
       "-i",
       (images / "cat_chelsea_baseline.jpg").string(),
       "-loop",
       "1",
       "-t",
       "3",
       "-i",
       (images / "rocket_launch.jpg").string(),
       "-loop",
       "1",
       "-t",
       "3",
       "-i",
       (images / "text_en_invoice.png").string(),
       "-filter_complex",
       "[0]" + scale + "[a];[1]" + scale + "[b];[2]" + scale + "[c];[a][b][c]concat=n=3:v=1:a=0",
       "-pix_fmt",
       "yuv420p",
       "-c:v",
       "libx264",
       output.string()});
}

IndexedLibrary::IndexedLibrary(const fs::path& shared, LibraryModels models)
    : models_(models), catalog_(PrepareLibraryDir(dir_.path())) {
  fs::create_directories(models_dir());
  fs::create_directories(scratch_dir());
  directory_id_ = catalog_.AddDirectory(media_dir(), true, false).id;

  const fs::path fixtures = shared / "fixtures/models";
  InstallFixtureModel(fixtures / "clip", models_dir(), kClipSpace);
  InstallFixtureModel(fixtures / "chinese_clip", models_dir(), kChineseClipSpace);
  InstallFixtureModel(fixtures / "clap", models_dir(), kClapSpace);
  if (models_.clip) clip_ = embedding::Encoder::Load(models_dir() / kClipSpace, 1);
  if (models_.chinese_clip) {
    chinese_clip_ = embedding::Encoder::Load(models_dir() / kChineseClipSpace, 1);
  }
  if (models_.clap) clap_ = embedding::Encoder::Load(models_dir() / kClapSpace, 1);

  analysis_ = pipeline::AnalysisOptionsFromConfig(config::Config{});
  analysis_.thumbnail_dir = dir_ / "thumbnails";
}

int64_t IndexedLibrary::Add(const fs::path& source, const std::string& name) {
  fs::path target = media_dir() / (name.empty() ? source.filename() : fs::path(name));
  fs::create_directories(target.parent_path());
  fs::copy_file(source, target, fs::copy_options::overwrite_existing);
  return Index(target);
}

int64_t IndexedLibrary::Index(const fs::path& path) {
  struct stat file_status {};
  if (stat(path.c_str(), &file_status) != 0) {
    throw std::runtime_error("stat failed for " + path.string());
  }
  store::FileObservation observation;
  observation.directory_id = directory_id_;
  observation.path = path.string();
  observation.kind = media::KindForExtension(LowerExtension(path)).value_or("video");
  observation.size = static_cast<uint64_t>(file_status.st_size);
  observation.mtime_ns = static_cast<int64_t>(file_status.st_mtim.tv_sec) * 1'000'000'000 +
                         file_status.st_mtim.tv_nsec;
  observation.inode = file_status.st_ino;
  observation.device = file_status.st_dev;
  store::UpsertOutcome outcome = catalog_.UpsertFile(observation);

  store::MediaInfo info = media::ProbeFile(path, observation.kind);
  catalog_.StoreProbeResult(outcome.file_id, observation.size, observation.mtime_ns, info,
                            std::nullopt);

  // One vector per video segment, the mean of the frames that the pipeline
  // picks for it, as the embedding worker makes it.
  std::map<int, std::vector<float>> segment_vectors;
  pipeline::AnalysisOptions options = analysis_;
  if (clip_) {
    options.on_video_segment = [&](const media::VideoSegment& segment) {
      std::vector<preprocess::RgbImage> frames;
      for (const media::TimedFrame& frame : segment.frames) {
        frames.push_back(ToModelImage(frame.image));
      }
      if (!frames.empty()) {
        segment_vectors[segment.index] = NormalizedMean(clip_->EncodeImages(frames));
      }
    };
  }
  pipeline::FileAnalysis analysis = pipeline::AnalyzeFile(path, info, options);
  store::ExtractionStore extraction(catalog_.database());
  pipeline::StoreAnalysis(extraction, outcome.file_id, observation.size, observation.mtime_ns,
                          analysis);
  Embed(outcome.file_id, path, info, segment_vectors);
  return outcome.file_id;
}

void IndexedLibrary::Embed(int64_t file_id, const fs::path& path, const store::MediaInfo& info,
                           const std::map<int, std::vector<float>>& segment_vectors) {
  store::EmbeddingStore embeddings(catalog_.database());
  store::ExtractionStore extraction(catalog_.database());
  if (info.kind == "image") {
    std::vector<preprocess::RgbImage> images = {preprocess::DecodeRgbImage(path)};
    for (auto [encoder, space] :
         {std::pair{clip_.get(), kClipSpace}, std::pair{chinese_clip_.get(), kChineseClipSpace}}) {
      if (encoder == nullptr) continue;
      store::NewEmbedding embedding{std::nullopt, encoder->EncodeImages(images).at(0)};
      embeddings.ReplaceFileVectors(file_id, space, {&embedding, 1});
    }
    return;
  }
  if (!segment_vectors.empty()) {
    std::vector<store::NewEmbedding> vectors;
    for (const store::SegmentRecord& segment : extraction.Segments(file_id, "video")) {
      auto found = segment_vectors.find(segment.index);
      if (found != segment_vectors.end()) vectors.push_back({segment.id, found->second});
    }
    embeddings.ReplaceFileVectors(file_id, kClipSpace, vectors);
  }
  if (clap_ && info.has_audio) {
    std::vector<float> samples;
    media::AudioDecodeOptions decode;
    decode.sample_rate = clap_->info().audio_sample_rate;
    media::DecodeAudio(path, decode, [&](std::span<const float> chunk) {
      samples.insert(samples.end(), chunk.begin(), chunk.end());
      return true;
    });
    std::vector<embedding::AudioVector> windows = clap_->EncodeWaveform(samples);
    std::vector<store::SegmentRecord> segments;
    for (size_t i = 0; i < windows.size(); ++i) {
      store::SegmentRecord segment;
      segment.index = static_cast<int>(i);
      segment.start_s = windows[i].start_seconds;
      segment.end_s = windows[i].end_seconds;
      segment.representative_s = (segment.start_s + segment.end_s) / 2;
      segments.push_back(segment);
    }
    std::vector<int64_t> ids = extraction.ReplaceSegments(file_id, "audio", segments);
    std::vector<store::NewEmbedding> vectors;
    for (size_t i = 0; i < windows.size(); ++i) vectors.push_back({ids[i], windows[i].vector});
    embeddings.ReplaceFileVectors(file_id, kClapSpace, vectors);
  }
}

QueryModels IndexedLibrary::Models() const {
  auto model = [this](const std::string& name) {
    return QueryModel{name, name, models_dir() / name};
  };
  QueryModels models;
  models.image = model(kClipSpace);
  models.text = {model(kClipSpace), model(kChineseClipSpace)};
  models.audio = model(kClapSpace);
  return models;
}

SearchServiceOptions IndexedLibrary::DefaultOptions() const {
  SearchServiceOptions options;
  options.video_segments = analysis_.segments;
  return options;
}

std::unique_ptr<SearchService> IndexedLibrary::MakeService(SearchServiceOptions options) {
  static int opened = 0;
  IndexManagerOptions index_options;
  index_options.catalog_path = catalog_path();
  index_options.index_dir = scratch_dir() / ("index-" + std::to_string(++opened));
  index_ = std::make_shared<IndexManager>(index_options);
  index_->Open();
  QueryEncoderOptions encoder_options;
  encoder_options.threads = 1;
  auto encoders = std::make_shared<QueryEncoders>(Models(), encoder_options);
  auto service = std::make_unique<SearchService>(std::move(options), encoders, index_);
  service->SetIndexReady();
  return service;
}

}  // namespace msearch::search::testing

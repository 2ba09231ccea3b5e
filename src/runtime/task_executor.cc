#include "runtime/task_executor.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include "common/clock.h"
#include "common/content_hash.h"
#include "media/media_error.h"
#include "media/probe_and_thumbnail.h"
#include "media/thumbnail.h"
#include "pipeline/analysis_store.h"
#include "pipeline/file_analysis.h"
#include "runtime/frame_handoff.h"
#include "runtime/leftover_cleanup.h"
#include "runtime/model_paths.h"
#include "runtime/task_types.h"

namespace msearch::runtime {
namespace {

int64_t FileIdFrom(const nlohmann::json& data) {
  if (!data.is_object() || !data.contains("file_id") || !data["file_id"].is_number_integer()) {
    throw TaskFailure(fmt::format("task data {} has no integer 'file_id'", data.dump()), false);
  }
  return data["file_id"].get<int64_t>();
}

struct DiskState {
  bool exists = false;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
};

DiskState Stat(const std::string& path) {
  struct stat info {};
  if (stat(path.c_str(), &info) != 0) return {};
  return {true, static_cast<uint64_t>(info.st_size),
          static_cast<int64_t>(info.st_mtim.tv_sec) * 1000000000 + info.st_mtim.tv_nsec};
}

}  // namespace

queue::NewTask MakeProbeTask(int64_t file_id, const std::string& path, int64_t directory_id,
                             const std::string& sender) {
  queue::NewTask task;
  task.type = kTaskProbe;
  task.data = {{"file_id", file_id}};
  task.priority = kProbePriority;
  task.dedupe_key = fmt::format("probe:{}", file_id);
  task.scope = fmt::format("dir:{}", directory_id);
  task.sender = sender;
  task.sender_type = sender;
  task.file_path = path;
  return task;
}

queue::NewTask MakeAnalyzeTask(int64_t file_id, const std::string& path, int64_t directory_id) {
  queue::NewTask task;
  task.type = kTaskAnalyze;
  task.data = {{"file_id", file_id}};
  task.priority = kAnalyzePriority;
  task.dedupe_key = fmt::format("analyze:{}", file_id);
  task.scope = fmt::format("dir:{}", directory_id);
  task.file_path = path;
  return task;
}

queue::NewTask MakeEmbedTask(int64_t file_id, const std::string& path, int64_t directory_id,
                             const std::string& modality) {
  queue::NewTask task;
  task.type = kTaskEmbed;
  task.data = {{"file_id", file_id}, {"modality", modality}};
  task.priority = kEmbedPriority;
  task.dedupe_key = fmt::format("embed-{}:{}", modality, file_id);
  task.scope = fmt::format("dir:{}", directory_id);
  task.file_path = path;
  return task;
}

TaskExecutor::TaskExecutor(const config::Config& config, store::Catalog& catalog,
                           TaskExecutorOptions options)
    : config_(config),
      catalog_(catalog),
      options_(options),
      extraction_(catalog.database()),
      analysis_options_(pipeline::AnalysisOptionsFromConfig(config)) {}

nlohmann::json TaskExecutor::Run(const std::string& type, const nlohmann::json& data,
                                 std::vector<queue::NewTask>* follow_ups) {
  if (type == kTaskProbe) return Probe(FileIdFrom(data), follow_ups);
  if (type == kTaskAnalyze) return Analyze(FileIdFrom(data), follow_ups);
  if (type == kTaskThumbnail) return Thumbnail(FileIdFrom(data));
  throw TaskFailure(fmt::format("unknown task type '{}'", type), false);
}

nlohmann::json TaskExecutor::Probe(int64_t file_id, std::vector<queue::NewTask>* follow_ups) {
  std::optional<store::FileRecord> file = catalog_.FindFile(file_id);
  if (!file) return {{"skipped", "file no longer catalogued"}};

  // Probe what is on disk now. If it no longer matches the catalog entry,
  // the monitor has a newer event for it and will queue a fresh probe.
  DiskState disk = Stat(file->path);
  if (!disk.exists) return {{"skipped", "file no longer exists"}};
  if (disk.size != file->size || disk.mtime_ns != file->mtime_ns) {
    return {{"skipped", "file changed since it was catalogued"}};
  }

  catalog_.SetFileStatus(file_id, "processing", std::nullopt);
  std::string content_hash;
  try {
    content_hash = SampledContentHash(file->path);
    if (std::optional<std::string> original = TakeOverDuplicate(*file, content_hash)) {
      spdlog::info("file {} ('{}') has the content of file {}; reusing its results", file->uuid,
                   file->path, *original);
      return {{"duplicate_of", *original}, {"content_hash", content_hash}};
    }
  } catch (const Error& error) {
    // An I/O error may be temporary (a disk being remounted); retry.
    catalog_.SetFileStatus(file_id, "pending", std::string(error.what()));
    throw TaskFailure(error.what(), true);
  }

  // One decode gives the facts, validates the pixels and makes the thumbnail.
  std::filesystem::path thumbnail = ThumbnailPath(file->uuid);
  media::ProbeAndThumbnailResult probed;
  try {
    probed = media::ProbeAndThumbnail(file->path, file->kind, thumbnail,
                                      config_.media.thumbnail_size, DecodeLimits());
  } catch (const media::MediaError& error) {
    catalog_.StoreFileError(file_id, file->size, file->mtime_ns, error.what());
    throw TaskFailure(error.what(), false);
  } catch (const Error& error) {
    catalog_.SetFileStatus(file_id, "pending", std::string(error.what()));
    throw TaskFailure(error.what(), true);
  }
  if (!probed.thumbnail_error.empty()) {
    spdlog::warn("file {} ('{}'): no thumbnail: {}", file->uuid, file->path,
                 probed.thumbnail_error);
  }

  const store::MediaInfo& info = probed.info;
  if (!catalog_.StoreProbeResult(file_id, file->size, file->mtime_ns, info, content_hash)) {
    return {{"skipped", "file changed while it was probed"}};
  }
  catalog_.SetThumbnail(file_id, probed.has_thumbnail
                                     ? std::optional<std::string>(thumbnail.string())
                                     : std::nullopt);

  if (follow_ups != nullptr) {
    follow_ups->push_back(MakeAnalyzeTask(file_id, file->path, file->directory_id));
  }
  return {{"kind", info.kind},
          {"format", info.format},
          {"width", info.width},
          {"height", info.height},
          {"duration", info.duration},
          {"content_hash", content_hash},
          {"thumbnail", probed.has_thumbnail}};
}

std::optional<std::string> TaskExecutor::TakeOverDuplicate(const store::FileRecord& file,
                                                           const std::string& content_hash) {
  std::vector<int64_t> candidates =
      extraction_.SameContentCandidates(file.id, file.size, content_hash);
  if (candidates.empty()) return std::nullopt;

  // Equal sampled hashes are confirmed by hashing both files in full; the
  // original's full hash is stored so that later copies read it once.
  std::string full_hash = FullContentHash(file.path);
  for (int64_t candidate_id : candidates) {
    std::optional<store::FileRecord> candidate = catalog_.FindFile(candidate_id);
    if (!candidate) continue;
    std::optional<std::string> candidate_hash = extraction_.FullHash(candidate_id);
    if (!candidate_hash) {
      DiskState disk = Stat(candidate->path);
      if (!disk.exists || disk.size != candidate->size || disk.mtime_ns != candidate->mtime_ns) {
        continue;
      }
      try {
        candidate_hash = FullContentHash(candidate->path);
      } catch (const Error& error) {
        // The candidate is unreadable or just vanished: it cannot vouch for
        // this file, which is then processed on its own.
        spdlog::warn("file {} ('{}'): not compared with '{}': {}", file.uuid, file.path,
                     candidate->path, error.what());
        continue;
      }
      extraction_.SetFullHash(candidate_id, *candidate_hash);
    }
    if (*candidate_hash != full_hash) continue;

    // Thumbnails are per file, so removing one copy leaves the others'.
    std::filesystem::path old_thumbnail = ThumbnailPath(candidate->uuid);
    std::filesystem::path old_segments = SegmentThumbnailDir(candidate->uuid);
    std::filesystem::path new_thumbnail = ThumbnailPath(file.uuid);
    std::filesystem::path new_segments = SegmentThumbnailDir(file.uuid);
    std::error_code error;
    std::filesystem::create_directories(new_thumbnail.parent_path(), error);
    if (!error && std::filesystem::exists(old_thumbnail)) {
      std::filesystem::copy_file(old_thumbnail, new_thumbnail,
                                 std::filesystem::copy_options::overwrite_existing, error);
    }
    if (!error && std::filesystem::is_directory(old_segments)) {
      std::filesystem::copy(old_segments, new_segments,
                            std::filesystem::copy_options::recursive |
                                std::filesystem::copy_options::overwrite_existing,
                            error);
    }
    if (error) {
      // Results without their thumbnails would show broken previews, so the
      // file is processed on its own instead.
      spdlog::warn("file {} ('{}'): cannot copy the thumbnails of '{}': {}", file.uuid, file.path,
                   candidate->path, error.message());
      return std::nullopt;
    }
    auto thumbnail_for = [&](const std::string& path) {
      std::string old_base = old_segments.string() + "/";
      if (path == old_thumbnail.string()) return new_thumbnail.string();
      if (path.rfind(old_base, 0) == 0) {
        return (new_segments / path.substr(old_base.size())).string();
      }
      return path;
    };
    if (!extraction_.CopyResults(candidate_id, file.id, thumbnail_for)) continue;
    extraction_.SetFullHash(file.id, full_hash);
    return candidate->uuid;
  }
  return std::nullopt;
}

nlohmann::json TaskExecutor::Analyze(int64_t file_id, std::vector<queue::NewTask>* follow_ups) {
  std::optional<store::FileRecord> file = catalog_.FindFile(file_id);
  if (!file) return {{"skipped", "file no longer catalogued"}};
  if (file->status != "indexed") return {{"skipped", "file is not probed"}};
  std::optional<store::MediaInfo> info = catalog_.GetMediaInfo(file_id);
  if (!info) return {{"skipped", "file has no probe result"}};
  DiskState before = Stat(file->path);
  if (!before.exists || before.size != file->size || before.mtime_ns != file->mtime_ns) {
    return {{"skipped", "file changed since it was probed"}};
  }

  pipeline::AnalysisOptions options = analysis_options_;
  options.thumbnail_dir = SegmentThumbnailDir(file->uuid);
  // Frames go to the embedding workers only when an embed task will follow
  // and the installed model defines the frame size it needs. Otherwise the
  // embedding worker decodes them itself later.
  std::optional<FrameHandoffWriter> handoff;
  std::optional<std::filesystem::path> image_model =
      InstalledModelDir(config_, config_.models.image);
  const bool queue_embeddings = follow_ups != nullptr && options_.queue_embeddings;
  if (queue_embeddings && info->has_video && image_model) {
    FrameHandoffOptions handoff_options;
    handoff_options.prefix = SharedBufferPrefixFor(config_);
    handoff.emplace(
        handoff_options,
        FrameBlockKey{file_id, before.size, before.mtime_ns, EmbeddingSpace(config_.models.image)},
        ModelFrameReducer(*image_model));
    options.on_video_segment = [&handoff](const media::VideoSegment& segment) {
      handoff->Add(segment);
    };
  }
  // Thumbnails of an earlier analysis may outnumber the new segments.
  std::error_code ignored;
  std::filesystem::remove_all(options.thumbnail_dir, ignored);

  double started = MonotonicSeconds();
  pipeline::FileAnalysis analysis;
  try {
    analysis = pipeline::AnalyzeFile(file->path, *info, options);
  } catch (const media::MediaError& error) {
    catalog_.StoreFileError(file_id, file->size, file->mtime_ns, error.what());
    throw TaskFailure(error.what(), false);
  }
  // A file rewritten while it was analysed is probed again once it
  // settles; these results describe neither version.
  DiskState after = Stat(file->path);
  if (!after.exists || after.size != before.size || after.mtime_ns != before.mtime_ns) {
    return {{"skipped", "file changed while it was analysed"}};
  }
  if (!pipeline::StoreAnalysis(extraction_, file_id, before.size, before.mtime_ns, analysis)) {
    return {{"skipped", "file changed while it was analysed"}};
  }
  for (const std::string& warning : analysis.warnings) {
    spdlog::warn("file {} ('{}'): {}", file->uuid, file->path, warning);
  }
  // Embed tasks for a model that is not installed are queued as waiting, so
  // they show in the task list until the scheduler finds the model installed.
  auto queue_embed = [&](const std::string& modality) -> queue::NewTask* {
    if (!queue_embeddings || ModelForModality(config_, modality).empty()) return nullptr;
    queue::NewTask task = MakeEmbedTask(file_id, file->path, file->directory_id, modality);
    if (!InstalledModelDir(config_, ModelForModality(config_, modality))) {
      task.wait = ModelWait(config_, modality);
    }
    follow_ups->push_back(std::move(task));
    return &follow_ups->back();
  };
  if (file->kind == "image") queue_embed(kEmbedImage);
  int segments_handed_over = 0;
  if (!analysis.video_segments.empty()) {
    queue::NewTask* task = queue_embed(kEmbedVideo);
    if (task != nullptr && handoff) {
      std::vector<std::string> blocks = handoff->Finish();
      segments_handed_over = handoff->segments_handed_over();
      if (!blocks.empty()) task->data["blocks"] = blocks;
      // The task owns the blocks now. The task worker removes them if the
      // queue does not accept the task.
      handoff->Release();
    }
  }
  if (!analysis.audio_windows.empty()) queue_embed(kEmbedAudio);
  return {{"video_segments", analysis.video_segments.size()},
          {"segments_handed_over", segments_handed_over},
          {"audio_windows", analysis.audio_windows.size()},
          {"texts", analysis.texts.size()},
          {"fingerprint_items", analysis.fingerprint ? analysis.fingerprint->items.size() : 0},
          {"warnings", analysis.warnings},
          {"seconds", MonotonicSeconds() - started}};
}

nlohmann::json TaskExecutor::Thumbnail(int64_t file_id) {
  std::optional<store::FileRecord> file = catalog_.FindFile(file_id);
  if (!file) return {{"skipped", "file no longer catalogued"}};
  std::filesystem::path output = ThumbnailPath(file->uuid);
  bool made = false;
  try {
    made = media::MakeThumbnail(file->path, file->kind, output, config_.media.thumbnail_size,
                                DecodeLimits());
  } catch (const media::MediaError& error) {
    // The file itself stays indexed: its facts are known, only the preview
    // image is missing.
    throw TaskFailure(error.what(), false);
  }
  if (!made) return {{"thumbnail", nullptr}};
  catalog_.SetThumbnail(file_id, output.string());
  return {{"thumbnail", output.string()}};
}

media::DecodeLimits TaskExecutor::DecodeLimits() const {
  media::DecodeLimits limits;
  limits.max_image_pixels = int64_t{config_.media.max_image_megapixels} * 1'000'000;
  return limits;
}

std::filesystem::path TaskExecutor::ThumbnailPath(const std::string& uuid) const {
  // Two hex digits of fan-out keep folders small for large libraries.
  return config_.storage.thumbnail_dir / uuid.substr(0, 2) / (uuid + ".jpg");
}

std::filesystem::path TaskExecutor::SegmentThumbnailDir(const std::string& uuid) const {
  return config_.storage.thumbnail_dir / uuid.substr(0, 2) / uuid;
}

}  // namespace msearch::runtime

#include "runtime/task_executor.h"

#include <sys/stat.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/content_hash.h"
#include "media/media_error.h"
#include "media/probe.h"
#include "media/thumbnail.h"
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

TaskExecutor::TaskExecutor(const config::Config& config, store::Catalog& catalog)
    : config_(config), catalog_(catalog) {}

nlohmann::json TaskExecutor::Run(const std::string& type, const nlohmann::json& data,
                                 std::vector<queue::NewTask>* follow_ups) {
  if (type == kTaskProbe) return Probe(FileIdFrom(data), follow_ups);
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

  // NOTE: images are decoded here and again by the thumbnail task;
  // media::ProbeAndThumbnail does both in one decode (1.65x as fast in
  // bench/index_bench) and should replace the pair for images.
  catalog_.SetFileStatus(file_id, "processing", std::nullopt);
  store::MediaInfo info;
  std::string content_hash;
  try {
    info = media::ProbeFile(file->path, file->kind, DecodeLimits());
    content_hash = SampledContentHash(file->path);
  } catch (const media::MediaError& error) {
    catalog_.StoreFileError(file_id, file->size, file->mtime_ns, error.what());
    throw TaskFailure(error.what(), false);
  } catch (const Error& error) {
    // An I/O error may be temporary (a disk being remounted); retry.
    catalog_.SetFileStatus(file_id, "pending", std::string(error.what()));
    throw TaskFailure(error.what(), true);
  }

  if (!catalog_.StoreProbeResult(file_id, file->size, file->mtime_ns, info, content_hash)) {
    return {{"skipped", "file changed while it was probed"}};
  }

  // Audio files get one too: MakeThumbnail uses embedded cover art when
  // there is any and reports false otherwise.
  if (follow_ups != nullptr) {
    queue::NewTask thumbnail;
    thumbnail.type = kTaskThumbnail;
    thumbnail.data = {{"file_id", file_id}};
    thumbnail.priority = kThumbnailPriority;
    thumbnail.dedupe_key = fmt::format("thumbnail:{}", file_id);
    thumbnail.scope = fmt::format("dir:{}", file->directory_id);
    thumbnail.file_path = file->path;
    follow_ups->push_back(std::move(thumbnail));
  }
  return {{"kind", info.kind},         {"format", info.format},
          {"width", info.width},       {"height", info.height},
          {"duration", info.duration}, {"content_hash", content_hash}};
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

}  // namespace msearch::runtime

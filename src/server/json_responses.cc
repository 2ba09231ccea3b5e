#include "server/json_responses.h"

#include "common/clock.h"
#include "server/http_response.h"

namespace msearch::server {

std::string_view ApiStatusName(queue::TaskStatus status) {
  if (status == queue::TaskStatus::kProcessing) return "running";
  return queue::ToString(status);
}

nlohmann::json IsoOrNull(const std::optional<double>& unix_seconds) {
  if (!unix_seconds) return nullptr;
  return FormatIso8601(*unix_seconds);
}

nlohmann::json TaskInfoJson(const queue::TaskRecord& task) {
  std::optional<double> duration = task.Duration();
  return {
      {"task_id", task.id},
      {"task_type", task.type},
      {"status", ApiStatusName(task.status)},
      {"priority", task.priority},
      {"created_at", FormatIso8601(task.created_at)},
      {"started_at", IsoOrNull(task.started_at)},
      {"completed_at", IsoOrNull(task.completed_at)},
      {"updated_at", FormatIso8601(task.updated_at)},
      {"error_message", task.error ? nlohmann::json(*task.error) : nlohmann::json(nullptr)},
      {"progress", task.progress},
      {"result", task.result ? *task.result : nlohmann::json(nullptr)},
      {"file_path", task.file_path ? nlohmann::json(*task.file_path) : nlohmann::json(nullptr)},
      {"duration", duration ? nlohmann::json(*duration) : nlohmann::json(nullptr)},
      {"tags", task.tags},
      {"attempts", task.attempts},
      {"max_attempts", task.max_attempts},
      {"paused", task.paused},
      {"archived", task.archived},
      {"scope", task.scope ? nlohmann::json(*task.scope) : nlohmann::json(nullptr)},
      {"worker_id", task.worker_id ? nlohmann::json(*task.worker_id) : nlohmann::json(nullptr)},
      {"sender", task.sender},
  };
}

nlohmann::json ThumbnailUrl(const store::FileRecord& file) {
  if (!file.thumbnail_path) return nullptr;
  return "/api/v1/files/thumbnail?path=" + EncodeQueryValue(file.path);
}

nlohmann::json PreviewUrl(const store::FileRecord& file) {
  return "/api/v1/files/" + EncodeQueryValue(file.uuid) + "/media";
}

nlohmann::json FileInfoJson(const store::FileRecord& file) {
  double modified_seconds = static_cast<double>(file.mtime_ns) / 1e9;
  return {
      {"file_uuid", file.uuid},
      {"file_path", file.path},
      {"file_name", file.name},
      {"file_type", file.kind},
      {"extension", file.extension},
      {"file_size", file.size},
      {"created_at", FormatIso8601(file.created_at)},
      {"modified_at", FormatIso8601(modified_seconds)},
      {"indexed", file.status == "indexed"},
      {"indexed_at", IsoOrNull(file.indexed_at)},
      {"has_thumbnail", file.thumbnail_path.has_value()},
      {"has_preview", true},
      {"thumbnail_url", ThumbnailUrl(file)},
      {"preview_url", PreviewUrl(file)},
      {"status", file.status},
      {"error", file.error ? nlohmann::json(*file.error) : nlohmann::json(nullptr)},
      {"directory_id", file.directory_id},
  };
}

nlohmann::json DirectoryJson(const store::DirectoryRecord& directory) {
  return {
      {"id", directory.id},
      {"path", directory.path},
      {"recursive", directory.recursive},
      {"state", directory.state},
      {"error", directory.error ? nlohmann::json(*directory.error) : nlohmann::json(nullptr)},
      {"from_config", directory.from_config},
      {"detached", directory.detached},
      {"added_at", FormatIso8601(directory.added_at)},
      {"last_scan_at", IsoOrNull(directory.last_scan_at)},
  };
}

nlohmann::json FileCountsJson(const store::CatalogCounts& counts) {
  return {
      {"total", counts.total},           {"indexed", counts.indexed}, {"pending", counts.pending},
      {"processing", counts.processing}, {"failed", counts.failed},   {"by_type", counts.by_kind},
  };
}

nlohmann::json MetadataJson(const store::FileRecord& file,
                            const std::optional<store::MediaInfo>& info) {
  nlohmann::json metadata = {{"size", file.size}, {"extension", file.extension}};
  if (!info) return metadata;

  metadata["format"] = info->format;
  metadata["width"] = info->width;
  metadata["height"] = info->height;
  metadata["duration"] = info->duration;
  metadata["tags"] = info->tags;
  if (info->kind == "image") {
    metadata["orientation"] = info->orientation ? nlohmann::json(*info->orientation) : nullptr;
    metadata["frame_count"] = info->frame_count;
    metadata["has_alpha"] = info->has_alpha;
    metadata["exif"] = info->exif;
  }
  if (info->has_video) {
    metadata["fps"] = info->fps;
    metadata["rotation"] = info->rotation;
    metadata["video_codec"] = info->video_codec;
  }
  if (info->has_audio) {
    metadata["audio_codec"] = info->audio_codec;
    metadata["sample_rate"] = info->sample_rate;
    metadata["channels"] = info->channels;
  }
  if (info->bit_rate > 0) metadata["bit_rate"] = info->bit_rate;
  return metadata;
}

nlohmann::json TextHitJson(const store::TextHit& hit, const std::optional<store::MediaInfo>& info) {
  const store::FileRecord& file = hit.file;
  return {
      {"file_uuid", file.uuid},
      {"file_path", file.path},
      {"file_name", file.name},
      {"file_type", file.kind},
      {"score", hit.score},
      {"modality", file.kind},
      {"match", "metadata"},
      {"matched_fields", hit.matched_fields},
      {"thumbnail_path", ThumbnailUrl(file)},
      {"preview_path", PreviewUrl(file)},
      {"metadata", MetadataJson(file, info)},
      {"timestamp_info", nullptr},
  };
}

}  // namespace msearch::server

#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "queue/task.h"
#include "store/catalog.h"
#include "store/media_info.h"

namespace msearch::server {

// The REST API's name for a task status: "processing" is reported as
// "running"; the other names are the stored ones.
std::string_view ApiStatusName(queue::TaskStatus status);

// ISO 8601 text for Unix seconds, or null when absent.
nlohmann::json IsoOrNull(const std::optional<double>& unix_seconds);

// TaskInfo: task_id, task_type, status, priority, created_at, started_at,
// completed_at, error_message, progress (fraction 0..1), result, file_path,
// duration (seconds), tags, plus attempts, max_attempts, paused and other
// queue fields.
nlohmann::json TaskInfoJson(const queue::TaskRecord& task);

// The URL that serves a file's thumbnail through GET /api/v1/files/thumbnail,
// or null when the catalog records no thumbnail for it.
nlohmann::json ThumbnailUrl(const store::FileRecord& file);

// The URL that serves a file's media, with Range support, through GET
// /api/v1/files/{file_uuid}/media.
nlohmann::json PreviewUrl(const store::FileRecord& file);

// FileInfo: file_uuid, file_path, file_name, file_type (image, video or
// audio), file_size (bytes), created_at (first catalogued), modified_at (file
// mtime), indexed, has_thumbnail, has_preview (true: the media itself is the
// preview), plus status, error, thumbnail_url and preview_url.
nlohmann::json FileInfoJson(const store::FileRecord& file);

// The metadata object of a file: size and, once probed, format, width,
// height, duration and the other probe facts, tags and EXIF fields.
nlohmann::json MetadataJson(const store::FileRecord& file,
                            const std::optional<store::MediaInfo>& info);

// A watched directory: id, path, recursive, state (initializing, monitoring,
// paused, error), error, from_config, detached, added_at, last_scan_at.
nlohmann::json DirectoryJson(const store::DirectoryRecord& directory);

// File counts: total, indexed, pending, processing, failed and by_type.
nlohmann::json FileCountsJson(const store::CatalogCounts& counts);

// One SearchResponse item for a name, path or tag match.
nlohmann::json TextHitJson(const store::TextHit& hit, const std::optional<store::MediaInfo>& info);

}  // namespace msearch::server

#pragma once

#include <filesystem>
#include <string>

#include "store/catalog.h"

namespace msearch::server {

// Finds the thumbnail to serve for the catalogued file at `file_path`.
// Only the catalog's thumbnail_path of a file whose path matches exactly is
// ever served, and only when it resolves (symbolic links and ".." included)
// to a regular file inside `thumbnail_dir`; a relative thumbnail_path is taken
// as relative to `thumbnail_dir`. Throws ApiError 404 when the path is not
// catalogued, has no thumbnail or the thumbnail file is missing, and 403 when
// the thumbnail lies outside `thumbnail_dir`.
std::filesystem::path ResolveThumbnail(store::Catalog& catalog,
                                       const std::filesystem::path& thumbnail_dir,
                                       const std::string& file_path);

// Resolves a thumbnail path recorded in the catalog (a file's or a
// segment's) with the same rules as ResolveThumbnail. `owner` names what the
// thumbnail belongs to in error messages, e.g. "segment 3 of 'a.mp4'".
// Throws ApiError 404 when the file is missing and 403 when it lies outside
// `thumbnail_dir`.
std::filesystem::path ResolveRecordedThumbnail(const std::filesystem::path& thumbnail_dir,
                                               const std::string& recorded_path,
                                               const std::string& owner);

// Reads a whole thumbnail file. Throws ApiError 404 naming `owner` when it
// cannot be read.
std::string ReadThumbnailFile(const std::filesystem::path& thumbnail, const std::string& owner);

// The image media type for a thumbnail file name, image/jpeg by default.
std::string ThumbnailContentType(const std::filesystem::path& thumbnail);

}  // namespace msearch::server

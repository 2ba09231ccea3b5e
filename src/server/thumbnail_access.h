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

// The image media type for a thumbnail file name; image/jpeg by default.
std::string ThumbnailContentType(const std::filesystem::path& thumbnail);

}  // namespace msearch::server

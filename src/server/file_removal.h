#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include "store/catalog.h"

namespace msearch::server {

// The thumbnail images of catalogued files: each file's own and those of its
// segments, as the catalog records them.
struct ThumbnailFiles {
  std::vector<std::filesystem::path> images;
  // Per-file folders of segment thumbnails, removed once empty.
  std::vector<std::filesystem::path> folders;
};

// Collects the thumbnails of `files`. Call it before the files leave the
// catalog, because removing them also removes the recorded paths.
ThumbnailFiles CollectThumbnails(store::Catalog& catalog,
                                 const std::vector<store::FileRecord>& files);

// Deletes the collected images that lie inside `thumbnail_dir`, with symbolic
// links resolved, then the emptied folders. Anything else is left alone.
// Returns the number of images deleted. Failures are ignored, because an
// image left behind only takes space.
int64_t DeleteThumbnails(const ThumbnailFiles& thumbnails,
                         const std::filesystem::path& thumbnail_dir);

// Removes `files` from the catalog, with everything extracted from them
// (metadata, segments, text, fingerprints, vectors), and deletes their
// thumbnails. Returns the number of catalog entries removed.
int64_t RemoveCataloguedFiles(store::Catalog& catalog, const std::filesystem::path& thumbnail_dir,
                              const std::vector<store::FileRecord>& files,
                              int64_t* thumbnails_deleted);

}  // namespace msearch::server

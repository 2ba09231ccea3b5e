#include "server/file_removal.h"

#include "server/watched_paths.h"
#include "store/extraction_store.h"

namespace msearch::server {

ThumbnailFiles CollectThumbnails(store::Catalog& catalog,
                                 const std::vector<store::FileRecord>& files) {
  ThumbnailFiles thumbnails;
  store::ExtractionStore extraction(catalog.database());
  for (const store::FileRecord& file : files) {
    if (file.thumbnail_path) thumbnails.images.emplace_back(*file.thumbnail_path);
    for (const store::SegmentRecord& segment : extraction.Segments(file.id)) {
      if (!segment.thumbnail_path) continue;
      std::filesystem::path image = *segment.thumbnail_path;
      thumbnails.images.push_back(image);
      // The task worker keeps a file's segment thumbnails in a folder named
      // after its uuid.
      if (image.parent_path().filename() == file.uuid) {
        thumbnails.folders.push_back(image.parent_path());
      }
    }
  }
  return thumbnails;
}

int64_t DeleteThumbnails(const ThumbnailFiles& thumbnails,
                         const std::filesystem::path& thumbnail_dir) {
  std::error_code error;
  std::filesystem::path folder = std::filesystem::canonical(thumbnail_dir, error);
  if (error) return 0;
  int64_t deleted = 0;
  for (std::filesystem::path image : thumbnails.images) {
    if (image.is_relative()) image = folder / image;
    std::error_code image_error;
    std::filesystem::path real = std::filesystem::canonical(image, image_error);
    if (image_error || !IsInsideFolder(real, folder)) continue;
    if (std::filesystem::remove(real, image_error) && !image_error) ++deleted;
  }
  for (std::filesystem::path segments : thumbnails.folders) {
    if (segments.is_relative()) segments = folder / segments;
    std::error_code folder_error;
    std::filesystem::path real = std::filesystem::canonical(segments, folder_error);
    if (folder_error || !IsInsideFolder(real, folder)) continue;
    if (std::filesystem::is_empty(real, folder_error) && !folder_error) {
      std::filesystem::remove(real, folder_error);
    }
  }
  return deleted;
}

int64_t RemoveCataloguedFiles(store::Catalog& catalog, const std::filesystem::path& thumbnail_dir,
                              const std::vector<store::FileRecord>& files,
                              int64_t* thumbnails_deleted) {
  ThumbnailFiles thumbnails = CollectThumbnails(catalog, files);
  std::vector<int64_t> ids;
  ids.reserve(files.size());
  for (const store::FileRecord& file : files) ids.push_back(file.id);
  int64_t removed = catalog.RemoveFiles(ids);
  int64_t deleted = DeleteThumbnails(thumbnails, thumbnail_dir);
  if (thumbnails_deleted != nullptr) *thumbnails_deleted = deleted;
  return removed;
}

}  // namespace msearch::server

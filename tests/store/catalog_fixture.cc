#include "store/catalog_fixture.h"

#include <fstream>
#include <stdexcept>

#include <sys/stat.h>

namespace msearch::store::testing {

CatalogTest::CatalogTest() : catalog_(dir_ / "data" / "catalog.db"), root_(dir_ / "media") {
  std::filesystem::create_directories(root_);
  directory_ = catalog_.AddDirectory(root_, true, false);
}

FileObservation CatalogTest::Observe(const std::filesystem::path& path, uint64_t size,
                                     int64_t mtime_ns, uint64_t inode, const std::string& kind) {
  FileObservation observation;
  observation.directory_id = directory_.id;
  observation.path = (path.is_absolute() ? path : root_ / path).string();
  observation.kind = kind;
  observation.size = size;
  observation.mtime_ns = mtime_ns;
  observation.inode = inode != 0 ? inode : next_inode_++;
  observation.device = 1;
  return observation;
}

FileObservation CatalogTest::ObserveDisk(const std::filesystem::path& path,
                                         const std::string& kind) {
  struct stat info {};
  if (stat(path.c_str(), &info) != 0) throw std::runtime_error("cannot stat " + path.string());
  FileObservation observation;
  observation.directory_id = directory_.id;
  observation.path = path.string();
  observation.kind = kind;
  observation.size = static_cast<uint64_t>(info.st_size);
  observation.mtime_ns =
      static_cast<int64_t>(info.st_mtim.tv_sec) * 1'000'000'000 + info.st_mtim.tv_nsec;
  observation.inode = info.st_ino;
  observation.device = info.st_dev;
  return observation;
}

std::filesystem::path CatalogTest::MakeFile(const std::filesystem::path& relative,
                                            const std::string& content) {
  std::filesystem::path path = root_ / relative;
  std::filesystem::create_directories(path.parent_path());
  std::ofstream stream(path, std::ios::binary);
  stream << content;
  if (!stream) throw std::runtime_error("cannot write " + path.string());
  return path;
}

int64_t CatalogTest::AddFile(const std::filesystem::path& path, const std::string& kind) {
  UpsertOutcome outcome = catalog_.UpsertFile(Observe(path, 100, 1'000'000'000, 0, kind));
  if (outcome.change != FileChange::kAdded) {
    throw std::runtime_error("expected a new entry for " + path.string());
  }
  return outcome.file_id;
}

std::vector<std::string> CatalogTest::HitPaths(const std::vector<TextHit>& hits) {
  std::vector<std::string> paths;
  for (const TextHit& hit : hits) paths.push_back(hit.file.path);
  return paths;
}

int64_t CatalogTest::FtsRowCount() {
  Statement count = catalog_.database().Prepare("SELECT count(*) FROM files_fts");
  count.Step();
  return count.ColumnInt(0);
}

}  // namespace msearch::store::testing

#include <gtest/gtest.h>

#include "store/catalog_fixture.h"

namespace msearch::store {
namespace {

using testing::CatalogTest;

class CatalogPaths : public CatalogTest {
 protected:
  // The catalog path of `relative` under root_.
  std::string At(const std::string& relative) { return (root_ / relative).string(); }

  bool Exists(const std::string& relative) {
    return catalog_.FindFileByPath(root_ / relative).has_value();
  }

  std::string UuidAt(const std::string& relative) {
    return catalog_.FindFileByPath(root_ / relative).value().uuid;
  }
};

TEST_F(CatalogPaths, MoveFile) {
  int64_t id = AddFile("a/photo.jpg");
  std::string uuid = catalog_.FindFile(id)->uuid;
  EXPECT_EQ(catalog_.MovePath(root_ / "a" / "photo.jpg", root_ / "b" / "Renamed.PNG"), 1);
  EXPECT_FALSE(Exists("a/photo.jpg"));
  FileRecord file = *catalog_.FindFile(id);
  EXPECT_EQ(file.path, At("b/Renamed.PNG"));
  EXPECT_EQ(file.name, "Renamed.PNG");
  EXPECT_EQ(file.extension, ".png");
  EXPECT_EQ(file.uuid, uuid);
}

TEST_F(CatalogPaths, MoveDirectoryTree) {
  AddFile("a/b/one.jpg");
  AddFile("a/b/c/two.jpg");
  std::string uuid = UuidAt("a/b/c/two.jpg");
  AddFile("a/bc/x.jpg");  // shares the name prefix "b", but is a sibling
  AddFile("a/b.jpg");     // a file named like the folder, plus an extension
  AddFile("a/b");         // an entry at exactly the old path is moved too

  EXPECT_EQ(catalog_.MovePath(root_ / "a" / "b", root_ / "z"), 3);
  EXPECT_TRUE(Exists("z/one.jpg"));
  EXPECT_TRUE(Exists("z/c/two.jpg"));
  EXPECT_TRUE(Exists("z"));
  EXPECT_EQ(UuidAt("z/c/two.jpg"), uuid);
  EXPECT_FALSE(Exists("a/b/one.jpg"));
  EXPECT_FALSE(Exists("a/b/c/two.jpg"));
  EXPECT_TRUE(Exists("a/bc/x.jpg"));
  EXPECT_TRUE(Exists("a/b.jpg"));
  EXPECT_EQ(catalog_.CountFiles({}), 5);
  // Names stay, since only the folder part changed.
  EXPECT_EQ(catalog_.FindFileByPath(root_ / "z" / "c" / "two.jpg")->name, "two.jpg");
}

TEST_F(CatalogPaths, MoveWithTrailingSlashes) {
  AddFile("a/b/one.jpg");
  AddFile("a/bc/x.jpg");
  EXPECT_EQ(catalog_.MovePath(At("a/b") + "/", At("z") + "/"), 1);
  EXPECT_TRUE(Exists("z/one.jpg"));
  EXPECT_TRUE(Exists("a/bc/x.jpg"));
}

TEST_F(CatalogPaths, MoveTreatsWildcardsLiterally) {
  AddFile("100%_done/a.jpg");
  AddFile("100xYdone/b.jpg");  // matches "100%_done" as a LIKE pattern
  AddFile("100%_done2/c.jpg");
  AddFile("a_b/d.jpg");
  AddFile("axb/e.jpg");
  EXPECT_EQ(catalog_.MovePath(root_ / "100%_done", root_ / "finished"), 1);
  EXPECT_TRUE(Exists("finished/a.jpg"));
  EXPECT_TRUE(Exists("100xYdone/b.jpg"));
  EXPECT_TRUE(Exists("100%_done2/c.jpg"));

  EXPECT_EQ(catalog_.MovePath(root_ / "a_b", root_ / "a%b"), 1);
  EXPECT_TRUE(Exists("a%b/d.jpg"));
  EXPECT_TRUE(Exists("axb/e.jpg"));
}

TEST_F(CatalogPaths, MoveIsCaseSensitive) {
  AddFile("Photos/upper.jpg");
  AddFile("photos/lower.jpg");
  EXPECT_EQ(catalog_.MovePath(root_ / "photos", root_ / "pictures"), 1);
  EXPECT_TRUE(Exists("pictures/lower.jpg"));
  EXPECT_TRUE(Exists("Photos/upper.jpg"));
}

TEST_F(CatalogPaths, MoveNonAsciiFolders) {
  AddFile("港口素材/日落照片.jpg");
  AddFile("港口素材/夜景/灯塔.mp4", "video");
  EXPECT_EQ(catalog_.MovePath(root_ / "港口素材", root_ / "harbour"), 2);
  EXPECT_TRUE(Exists("harbour/日落照片.jpg"));
  EXPECT_TRUE(Exists("harbour/夜景/灯塔.mp4"));

  EXPECT_EQ(catalog_.MovePath(root_ / "harbour", root_ / "海港"), 2);
  EXPECT_TRUE(Exists("海港/日落照片.jpg"));
  EXPECT_TRUE(Exists("海港/夜景/灯塔.mp4"));
  EXPECT_EQ(catalog_.CountFiles({}), 2);
}

TEST_F(CatalogPaths, MoveReplacesEntryAtDestination) {
  int64_t moved = AddFile("draft.jpg");
  std::string uuid = catalog_.FindFile(moved)->uuid;
  AddFile("final.jpg");
  // As "mv draft.jpg final.jpg" replaces final.jpg on disk.
  EXPECT_EQ(catalog_.MovePath(root_ / "draft.jpg", root_ / "final.jpg"), 1);
  EXPECT_EQ(catalog_.CountFiles({}), 1);
  EXPECT_EQ(UuidAt("final.jpg"), uuid);
  EXPECT_EQ(FtsRowCount(), 1);
}

TEST_F(CatalogPaths, MoveTreeReplacesEntriesAtDestination) {
  AddFile("new/a.jpg");
  std::string uuid = UuidAt("new/a.jpg");
  AddFile("old/a.jpg");
  AddFile("old/b.jpg");
  std::string moved_uuid = UuidAt("old/a.jpg");
  EXPECT_EQ(catalog_.MovePath(root_ / "old", root_ / "new"), 2);
  EXPECT_EQ(UuidAt("new/a.jpg"), moved_uuid);
  EXPECT_NE(UuidAt("new/a.jpg"), uuid);
  EXPECT_TRUE(Exists("new/b.jpg"));
  EXPECT_EQ(catalog_.CountFiles({}), 2);
}

TEST_F(CatalogPaths, MoveUnknownPathMovesNothing) {
  AddFile("a.jpg");
  EXPECT_EQ(catalog_.MovePath(root_ / "missing", root_ / "elsewhere"), 0);
  EXPECT_EQ(catalog_.MovePath("", root_ / "elsewhere"), 0);
  EXPECT_EQ(catalog_.MovePath(root_, ""), 0);
  EXPECT_TRUE(Exists("a.jpg"));
}

TEST_F(CatalogPaths, RemoveFile) {
  AddFile("a.jpg");
  AddFile("a.jpg.bak");
  EXPECT_EQ(catalog_.RemovePath(root_ / "a.jpg"), 1);
  EXPECT_FALSE(Exists("a.jpg"));
  EXPECT_TRUE(Exists("a.jpg.bak"));
  EXPECT_EQ(FtsRowCount(), 1);
}

TEST_F(CatalogPaths, RemoveDirectoryTree) {
  AddFile("a/b/one.jpg");
  AddFile("a/b/c/two.jpg");
  AddFile("a/bc/x.jpg");
  AddFile("a/B/upper.jpg");
  AddFile("a_b/y.jpg");
  AddFile("a%b/z.jpg");
  EXPECT_EQ(catalog_.RemovePath(root_ / "a" / "b"), 2);
  EXPECT_TRUE(Exists("a/bc/x.jpg"));
  EXPECT_TRUE(Exists("a/B/upper.jpg"));
  EXPECT_EQ(catalog_.RemovePath(root_ / "a_b"), 1);
  EXPECT_TRUE(Exists("a%b/z.jpg"));
  EXPECT_EQ(catalog_.RemovePath(At("a") + "/"), 2);
  EXPECT_EQ(catalog_.CountFiles({}), 1);
  EXPECT_EQ(FtsRowCount(), 1);
}

TEST_F(CatalogPaths, RemoveUnknownOrEmptyPath) {
  AddFile("a.jpg");
  EXPECT_EQ(catalog_.RemovePath(root_ / "missing"), 0);
  EXPECT_EQ(catalog_.RemovePath(""), 0);
  EXPECT_EQ(catalog_.CountFiles({}), 1);
}

TEST_F(CatalogPaths, RemoveFilesById) {
  int64_t a = AddFile("a.jpg");
  int64_t b = AddFile("b.jpg");
  AddFile("c.jpg");
  const int64_t ids[] = {a, b, b + 1000};
  EXPECT_EQ(catalog_.RemoveFiles(ids), 2);
  EXPECT_EQ(catalog_.CountFiles({}), 1);
  EXPECT_TRUE(Exists("c.jpg"));
}

}  // namespace
}  // namespace msearch::store

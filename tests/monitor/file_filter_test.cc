#include "monitor/file_filter.h"

#include <gtest/gtest.h>

#include "monitor_test_util.h"

namespace msearch::monitor {
namespace {

using test_util::TestConfig;

TEST(FileFilter, KindsByExtension) {
  FileFilter filter(TestConfig());
  EXPECT_EQ(filter.KindOf("photo.jpg"), "image");
  EXPECT_EQ(filter.KindOf("scan.tiff"), "image");
  EXPECT_EQ(filter.KindOf("IMG_0001.HEIC"), "image");
  EXPECT_EQ(filter.KindOf("clip.mov"), "video");
  EXPECT_EQ(filter.KindOf("broadcast.m2ts"), "video");
  EXPECT_EQ(filter.KindOf("phone.3gp"), "video");
  EXPECT_EQ(filter.KindOf("song.flac"), "audio");
  EXPECT_EQ(filter.KindOf("take.AIF"), "audio");
}

TEST(FileFilter, UpperCaseExtension) {
  FileFilter filter(TestConfig());
  EXPECT_EQ(filter.KindOf("DSC_0042.JPG"), "image");
  EXPECT_EQ(filter.KindOf("A001.Mp4"), "video");
}

TEST(FileFilter, UnsupportedNames) {
  FileFilter filter(TestConfig());
  EXPECT_FALSE(filter.KindOf("notes.txt"));
  EXPECT_FALSE(filter.KindOf("shot list.pdf"));
  EXPECT_FALSE(filter.KindOf("README"));
  EXPECT_FALSE(filter.KindOf("trailing."));
  EXPECT_FALSE(filter.KindOf(".jpg"));
  EXPECT_FALSE(filter.KindOf("archive.jpg.zip"));
}

TEST(FileFilter, IgnorePatterns) {
  FileFilter filter(TestConfig());
  EXPECT_FALSE(filter.KindOf(".thumb_cache.jpg"));
  EXPECT_FALSE(filter.KindOf("export_v3.mp4.tmp"));
  EXPECT_FALSE(filter.KindOf("download.mp4.part"));
  EXPECT_FALSE(filter.KindOf("~$draft.wav"));
  EXPECT_TRUE(filter.IsIgnored("EXPORT.TMP"));
  EXPECT_TRUE(filter.IsIgnored(".DS_Store"));
  EXPECT_FALSE(filter.IsIgnored("holiday.jpg"));
  EXPECT_FALSE(filter.IsIgnored("tmp.jpg"));
}

TEST(FileFilter, CustomPatternMatchesWholeName) {
  config::FileMonitorConfig config = TestConfig();
  config.ignore_patterns = {"draft_*"};
  FileFilter filter(config);
  EXPECT_FALSE(filter.KindOf("draft_01.png"));
  EXPECT_EQ(filter.KindOf("final_draft_01.png"), "image");
  EXPECT_EQ(filter.KindOf(".visible_now.png"), "image");
}

TEST(FileFilter, HiddenDirectories) {
  FileFilter filter(TestConfig());
  EXPECT_FALSE(filter.AllowsDirectory(".git"));
  EXPECT_FALSE(filter.AllowsDirectory(".thumbnails"));
  EXPECT_FALSE(filter.AllowsDirectory("render.tmp"));
  EXPECT_TRUE(filter.AllowsDirectory("Harbor Shoot 2024"));
  EXPECT_TRUE(filter.AllowsDirectory("港口素材"));
}

TEST(FileFilter, LimitedToConfiguredExtensions) {
  config::FileMonitorConfig config = TestConfig();
  config.supported_extensions = {".jpg", "png", ".xyz"};
  FileFilter filter(config);
  EXPECT_EQ(filter.KindOf("a.jpg"), "image");
  EXPECT_EQ(filter.KindOf("a.PNG"), "image");
  EXPECT_FALSE(filter.KindOf("a.mp4"));
  EXPECT_FALSE(filter.KindOf("a.xyz"));
}

TEST(FileFilter, EmptyListsMeanWholeTable) {
  FileFilter filter(config::FileMonitorConfig{});
  EXPECT_EQ(filter.KindOf("a.opus"), "audio");
  EXPECT_EQ(filter.KindOf(".hidden.jpg"), "image");
  EXPECT_TRUE(filter.AllowsDirectory(".git"));
}

TEST(FileFilter, KindForExtensionTable) {
  EXPECT_EQ(KindForExtension(".webp"), "image");
  EXPECT_EQ(KindForExtension(".mts"), "video");
  EXPECT_EQ(KindForExtension(".oga"), "audio");
  EXPECT_FALSE(KindForExtension(".JPG"));  // the table is lower case
  EXPECT_FALSE(KindForExtension("jpg"));
  EXPECT_FALSE(KindForExtension(".txt"));
}

TEST(FileFilter, LowerExtension) {
  EXPECT_EQ(LowerExtension("DSC_0042.JPG"), ".jpg");
  EXPECT_EQ(LowerExtension("a.b.Mp4"), ".mp4");
  EXPECT_EQ(LowerExtension(".profile"), "");
  EXPECT_EQ(LowerExtension("README"), "");
  EXPECT_EQ(LowerExtension("日落照片.jpg"), ".jpg");
}

}  // namespace
}  // namespace msearch::monitor

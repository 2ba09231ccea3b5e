#include "media/media_kind.h"

#include <gtest/gtest.h>

namespace msearch::media {
namespace {

TEST(KindForExtension, Images) {
  for (const char* extension :
       {"jpg", "jpeg", "png", "gif", "webp", "bmp", "tif", "tiff", "heic", "heif", "avif"}) {
    EXPECT_EQ(KindForExtension(extension), "image") << extension;
  }
}

TEST(KindForExtension, Videos) {
  for (const char* extension : {"mp4", "mov", "mkv", "webm", "avi", "m4v", "mpg", "mpeg", "ts",
                                "mts", "m2ts", "wmv", "flv", "3gp"}) {
    EXPECT_EQ(KindForExtension(extension), "video") << extension;
  }
}

TEST(KindForExtension, Audio) {
  for (const char* extension :
       {"mp3", "wav", "flac", "ogg", "oga", "opus", "m4a", "aac", "wma", "aiff", "aif"}) {
    EXPECT_EQ(KindForExtension(extension), "audio") << extension;
  }
}

TEST(KindForExtension, DotAndCase) {
  EXPECT_EQ(KindForExtension(".jpg"), "image");
  EXPECT_EQ(KindForExtension("JPG"), "image");
  EXPECT_EQ(KindForExtension(".MoV"), "video");
  EXPECT_EQ(KindForExtension(".FLAC"), "audio");
}

TEST(KindForExtension, Unsupported) {
  EXPECT_FALSE(KindForExtension("").has_value());
  EXPECT_FALSE(KindForExtension(".").has_value());
  EXPECT_FALSE(KindForExtension("txt").has_value());
  EXPECT_FALSE(KindForExtension(".pdf").has_value());
  EXPECT_FALSE(KindForExtension(".tmp").has_value());
  EXPECT_FALSE(KindForExtension("jpg.tmp").has_value());
  EXPECT_FALSE(KindForExtension("..jpg").has_value());
  EXPECT_FALSE(KindForExtension("jp").has_value());
}

}  // namespace
}  // namespace msearch::media

#include <string>

#include <gtest/gtest.h>

#include "media/corpus_manifest.h"
#include "media/probe.h"
#include "media/thumbnail.h"
#include "support/shared_data.h"
#include "support/temp_dir.h"

namespace msearch::media {
namespace {

class SpecialNamesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MSEARCH_REQUIRE_SHARED_DIR(shared);
    corpus_ = shared / "corpus";
  }

  std::filesystem::path CopyAs(const std::string& source, const std::string& name) {
    std::filesystem::path target = dir_ / name;
    std::filesystem::copy_file(corpus_ / source, target);
    return target;
  }

  std::filesystem::path corpus_;
  msearch::testing::TempDir dir_;
};

// libvips reads "name.jpg[...]" as load options and FFmpeg reads
// "name:rest" as a protocol, so such names must reach the decoders verbatim.
TEST_F(SpecialNamesTest, ImageWithBracketsAndColon) {
  std::filesystem::path path = CopyAs("images/cat_chelsea_baseline.jpg", "cat: v2 [final].jpg");

  store::MediaInfo info = ProbeFile(path, "image");

  EXPECT_EQ(info.width, 451);
  EXPECT_TRUE(MakeThumbnail(path, "image", dir_ / "cat.jpg"));
}

TEST_F(SpecialNamesTest, VideoWithColonPrefix) {
  std::filesystem::path path = CopyAs("video/no_audio_h264.mp4", "clip:1.mp4");

  store::MediaInfo info = ProbeFile(path, "video");

  EXPECT_EQ(info.width, 320);
  EXPECT_TRUE(MakeThumbnail(path, "video", dir_ / "clip.jpg"));
}

TEST_F(SpecialNamesTest, ChineseFileName) {
  std::filesystem::path path = corpus_ / "mixed/Harbor Shoot 2024/stills/港口素材/日落照片.jpg";

  store::MediaInfo info = ProbeFile(path, "image");

  EXPECT_EQ(info.width, 480);
  EXPECT_EQ(info.height, 300);
}

}  // namespace
}  // namespace msearch::media

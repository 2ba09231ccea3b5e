#include "media/image_format.h"

#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace msearch::media {
namespace {

std::optional<ImageFormat> Sniff(std::string_view bytes) {
  return SniffImageFormat(
      std::span(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()));
}

TEST(SniffImageFormat, Signatures) {
  using namespace std::string_view_literals;
  EXPECT_EQ(Sniff("\xFF\xD8\xFF\xE0\0\x10JFIF"sv), ImageFormat::kJpeg);
  EXPECT_EQ(Sniff("\x89PNG\r\n\x1A\n\0\0\0\rIHDR"sv), ImageFormat::kPng);
  EXPECT_EQ(Sniff("GIF89a\x01\0\x01\0"sv), ImageFormat::kGif);
  EXPECT_EQ(Sniff("GIF87a\x01\0\x01\0"sv), ImageFormat::kGif);
  EXPECT_EQ(Sniff("RIFF\x24\0\0\0WEBPVP8 "sv), ImageFormat::kWebp);
  EXPECT_EQ(Sniff("II*\0\x08\0\0\0"sv), ImageFormat::kTiff);
  EXPECT_EQ(Sniff("MM\0*\0\0\0\x08"sv), ImageFormat::kTiff);
  EXPECT_EQ(Sniff("BM\x36\x0c\0\0\0\0\0\0\x36\0\0\0"sv), ImageFormat::kBmp);
  EXPECT_EQ(Sniff("\0\0\0\x18"
                  "ftypheic\0\0\0\0mif1"sv),
            ImageFormat::kHeif);
  EXPECT_EQ(Sniff("\0\0\0\x1c"
                  "ftypavif\0\0\0\0avifmif1"sv),
            ImageFormat::kHeif);
}

TEST(SniffImageFormat, Rejects) {
  using namespace std::string_view_literals;
  EXPECT_FALSE(Sniff("").has_value());
  EXPECT_FALSE(Sniff("This is not an image").has_value());
  EXPECT_FALSE(Sniff("\xFF\xD8"sv).has_value());
  // A WAV file is RIFF too, and an MP4 video has an ftyp box.
  EXPECT_FALSE(Sniff("RIFF\x24\0\0\0WAVEfmt "sv).has_value());
  EXPECT_FALSE(Sniff("\0\0\0\x20"
                     "ftypisom\0\0\x02\0isomiso2"sv)
                   .has_value());
  // "BM" alone, as at the start of a text file, is too short for a header.
  EXPECT_FALSE(Sniff("BM").has_value());
}

TEST(ImageFormatForExtension, KnownAndUnknown) {
  EXPECT_EQ(ImageFormatForExtension(".JPG"), ImageFormat::kJpeg);
  EXPECT_EQ(ImageFormatForExtension("jpeg"), ImageFormat::kJpeg);
  EXPECT_EQ(ImageFormatForExtension("tif"), ImageFormat::kTiff);
  EXPECT_EQ(ImageFormatForExtension(".avif"), ImageFormat::kHeif);
  EXPECT_FALSE(ImageFormatForExtension(".mp4").has_value());
}

}  // namespace
}  // namespace msearch::media

#include "store/media_info.h"

#include <gtest/gtest.h>

namespace msearch::store {
namespace {

MediaInfo FullInfo() {
  MediaInfo info;
  info.kind = "video";
  info.format = "mov,mp4,m4a,3gp,3g2,mj2";
  info.width = 1080;
  info.height = 1920;
  info.stored_width = 1920;
  info.stored_height = 1080;
  info.orientation = 6;
  info.rotation = 90;
  info.duration = 12.345;
  info.fps = 29.97;
  info.frame_count = 3;
  info.has_alpha = true;
  info.has_video = true;
  info.has_audio = true;
  info.audio_streams = 2;
  info.subtitle_streams = 1;
  info.video_codec = "h264";
  info.audio_codec = "aac";
  info.sample_rate = 48000;
  info.channels = 2;
  info.bits_per_sample = 24;
  info.bit_rate = 12'000'000'000LL;
  info.tags = {{"title", "港口 日落"}, {"artist", "Someone"}};
  info.exif = {{"make", "Canon"}, {"iso", 200}};
  info.streams = nlohmann::json::array({{{"index", 0}, {"type", "video"}}});
  return info;
}

void ExpectSameInfo(const MediaInfo& actual, const MediaInfo& expected) {
  EXPECT_EQ(actual.kind, expected.kind);
  EXPECT_EQ(actual.format, expected.format);
  EXPECT_EQ(actual.width, expected.width);
  EXPECT_EQ(actual.height, expected.height);
  EXPECT_EQ(actual.stored_width, expected.stored_width);
  EXPECT_EQ(actual.stored_height, expected.stored_height);
  EXPECT_EQ(actual.orientation, expected.orientation);
  EXPECT_EQ(actual.rotation, expected.rotation);
  EXPECT_DOUBLE_EQ(actual.duration, expected.duration);
  EXPECT_DOUBLE_EQ(actual.fps, expected.fps);
  EXPECT_EQ(actual.frame_count, expected.frame_count);
  EXPECT_EQ(actual.has_alpha, expected.has_alpha);
  EXPECT_EQ(actual.has_video, expected.has_video);
  EXPECT_EQ(actual.has_audio, expected.has_audio);
  EXPECT_EQ(actual.audio_streams, expected.audio_streams);
  EXPECT_EQ(actual.subtitle_streams, expected.subtitle_streams);
  EXPECT_EQ(actual.video_codec, expected.video_codec);
  EXPECT_EQ(actual.audio_codec, expected.audio_codec);
  EXPECT_EQ(actual.sample_rate, expected.sample_rate);
  EXPECT_EQ(actual.channels, expected.channels);
  EXPECT_EQ(actual.bits_per_sample, expected.bits_per_sample);
  EXPECT_EQ(actual.bit_rate, expected.bit_rate);
  EXPECT_EQ(actual.tags, expected.tags);
  EXPECT_EQ(actual.exif, expected.exif);
  EXPECT_EQ(actual.streams, expected.streams);
}

TEST(MediaInfo, RoundTripThroughJson) {
  MediaInfo info = FullInfo();
  ExpectSameInfo(MediaInfo::FromJson(info.ToJson()), info);
}

TEST(MediaInfo, RoundTripThroughText) {
  MediaInfo info = FullInfo();
  std::string text = info.ToJson().dump();
  ExpectSameInfo(MediaInfo::FromJson(nlohmann::json::parse(text)), info);
}

TEST(MediaInfo, MissingOrientationIsNull) {
  MediaInfo info = FullInfo();
  info.orientation.reset();
  nlohmann::json json = info.ToJson();
  ASSERT_TRUE(json.contains("orientation"));
  EXPECT_TRUE(json["orientation"].is_null());
  EXPECT_FALSE(MediaInfo::FromJson(json).orientation.has_value());
}

TEST(MediaInfo, JsonFieldNames) {
  nlohmann::json json = FullInfo().ToJson();
  EXPECT_EQ(json["width"], 1080);
  EXPECT_EQ(json["stored_width"], 1920);
  EXPECT_EQ(json["orientation"], 6);
  EXPECT_EQ(json["tags"]["title"], "港口 日落");
  EXPECT_EQ(json["bit_rate"], 12'000'000'000LL);
}

TEST(MediaInfo, EmptyJsonGivesDefaults) {
  MediaInfo info = MediaInfo::FromJson(nlohmann::json::object());
  ExpectSameInfo(info, MediaInfo{});
  EXPECT_EQ(info.frame_count, 1);
  EXPECT_TRUE(info.exif.is_object());
  EXPECT_TRUE(info.streams.is_array());
}

TEST(MediaInfo, IgnoresNonStringTags) {
  nlohmann::json json = {{"tags", {{"title", "x"}, {"track", 3}}}};
  MediaInfo info = MediaInfo::FromJson(json);
  EXPECT_EQ(info.tags, (std::map<std::string, std::string>{{"title", "x"}}));
}

}  // namespace
}  // namespace msearch::store

#pragma once

#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace msearch::store {

// The facts a probe extracts from one media file, as the catalog stores them.
// Sizes are as displayed: after EXIF orientation for images and after the
// rotation matrix for videos; the stored (coded) size is kept beside them.
struct MediaInfo {
  std::string kind;    // image, video or audio
  std::string format;  // container or image format: jpeg, png, mov,mp4,m4a,3gp,3g2,mj2, flac...
  int width = 0;
  int height = 0;
  int stored_width = 0;
  int stored_height = 0;
  std::optional<int> orientation;  // EXIF orientation 1..8, when the file has the tag
  int rotation = 0;                // video rotation, clockwise degrees: 0, 90, 180, 270
  double duration = 0;             // seconds; 0 for still images
  double fps = 0;                  // average video frame rate
  int frame_count = 1;             // pages or animation frames of an image
  bool has_alpha = false;
  bool has_video = false;
  bool has_audio = false;
  int audio_streams = 0;
  int subtitle_streams = 0;
  std::string video_codec;
  std::string audio_codec;
  int sample_rate = 0;
  int channels = 0;
  int bits_per_sample = 0;
  int64_t bit_rate = 0;
  std::map<std::string, std::string> tags;         // container or ID3/Vorbis tags, lower-case keys
  nlohmann::json exif = nlohmann::json::object();  // camera fields: make, model, datetime...
  nlohmann::json streams = nlohmann::json::array();  // one object per stream

  nlohmann::json ToJson() const;
  static MediaInfo FromJson(const nlohmann::json& json);
};

}  // namespace msearch::store

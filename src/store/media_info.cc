#include "store/media_info.h"

namespace msearch::store {

nlohmann::json MediaInfo::ToJson() const {
  nlohmann::json json = {
      {"kind", kind},
      {"format", format},
      {"width", width},
      {"height", height},
      {"stored_width", stored_width},
      {"stored_height", stored_height},
      {"rotation", rotation},
      {"duration", duration},
      {"fps", fps},
      {"frame_count", frame_count},
      {"has_alpha", has_alpha},
      {"has_video", has_video},
      {"has_audio", has_audio},
      {"audio_streams", audio_streams},
      {"subtitle_streams", subtitle_streams},
      {"video_codec", video_codec},
      {"audio_codec", audio_codec},
      {"sample_rate", sample_rate},
      {"channels", channels},
      {"bits_per_sample", bits_per_sample},
      {"bit_rate", bit_rate},
      {"tags", tags},
      {"exif", exif},
      {"streams", streams},
  };
  json["orientation"] = orientation ? nlohmann::json(*orientation) : nlohmann::json(nullptr);
  return json;
}

MediaInfo MediaInfo::FromJson(const nlohmann::json& json) {
  MediaInfo info;
  info.kind = json.value("kind", "");
  info.format = json.value("format", "");
  info.width = json.value("width", 0);
  info.height = json.value("height", 0);
  info.stored_width = json.value("stored_width", 0);
  info.stored_height = json.value("stored_height", 0);
  if (json.contains("orientation") && json["orientation"].is_number_integer()) {
    info.orientation = json["orientation"].get<int>();
  }
  info.rotation = json.value("rotation", 0);
  info.duration = json.value("duration", 0.0);
  info.fps = json.value("fps", 0.0);
  info.frame_count = json.value("frame_count", 1);
  info.has_alpha = json.value("has_alpha", false);
  info.has_video = json.value("has_video", false);
  info.has_audio = json.value("has_audio", false);
  info.audio_streams = json.value("audio_streams", 0);
  info.subtitle_streams = json.value("subtitle_streams", 0);
  info.video_codec = json.value("video_codec", "");
  info.audio_codec = json.value("audio_codec", "");
  info.sample_rate = json.value("sample_rate", 0);
  info.channels = json.value("channels", 0);
  info.bits_per_sample = json.value("bits_per_sample", 0);
  info.bit_rate = json.value("bit_rate", int64_t{0});
  if (json.contains("tags") && json["tags"].is_object()) {
    for (const auto& [key, value] : json["tags"].items()) {
      if (value.is_string()) info.tags[key] = value.get<std::string>();
    }
  }
  if (json.contains("exif") && json["exif"].is_object()) info.exif = json["exif"];
  if (json.contains("streams") && json["streams"].is_array()) info.streams = json["streams"];
  return info;
}

}  // namespace msearch::store

#include "media/av_probe.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <string>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

extern "C" {
#include <libavutil/dict.h>
}

#include "media/audio_scan.h"
#include "media/av_open.h"
#include "media/ffmpeg_log.h"
#include "media/file_checks.h"
#include "media/media_error.h"
#include "media/utf8_text.h"
#include "media/video_frame.h"

namespace msearch::media {
namespace {

// Measuring the duration reads the whole file. Above this size the
// container's duration is trusted instead.
constexpr uintmax_t kMaxDurationScanBytes = 512ull * 1024 * 1024;

std::string LowerAscii(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

nlohmann::json TagsJson(const AVDictionary* metadata) {
  nlohmann::json tags = nlohmann::json::object();
  const AVDictionaryEntry* entry = nullptr;
  while ((entry = av_dict_get(metadata, "", entry, AV_DICT_IGNORE_SUFFIX)) != nullptr) {
    tags[SanitizeUtf8(LowerAscii(entry->key))] = SanitizeUtf8(entry->value);
  }
  return tags;
}

// Adds the entries of `metadata` whose keys `tags` does not have yet.
void AddTags(const AVDictionary* metadata, std::map<std::string, std::string>& tags) {
  const AVDictionaryEntry* entry = nullptr;
  while ((entry = av_dict_get(metadata, "", entry, AV_DICT_IGNORE_SUFFIX)) != nullptr) {
    tags.emplace(SanitizeUtf8(LowerAscii(entry->key)), SanitizeUtf8(entry->value));
  }
}

std::string_view MediaTypeName(AVMediaType type) {
  switch (type) {
    case AVMEDIA_TYPE_VIDEO:
      return "video";
    case AVMEDIA_TYPE_AUDIO:
      return "audio";
    case AVMEDIA_TYPE_SUBTITLE:
      return "subtitle";
    case AVMEDIA_TYPE_ATTACHMENT:
      return "attachment";
    default:
      return "data";
  }
}

double FrameRate(const AVStream& stream) {
  AVRational rate = stream.avg_frame_rate;
  if (rate.num <= 0 || rate.den <= 0) rate = stream.r_frame_rate;
  if (rate.num <= 0 || rate.den <= 0) return 0;
  return av_q2d(rate);
}

int BitsPerSample(const AVCodecParameters& codec) {
  // FLAC reports its sample size only in bits_per_raw_sample, while for PCM
  // the codec implies it.
  if (codec.bits_per_raw_sample > 0) return codec.bits_per_raw_sample;
  return av_get_bits_per_sample(codec.codec_id);
}

nlohmann::json StreamJson(const AVStream& stream) {
  const AVCodecParameters& codec = *stream.codecpar;
  nlohmann::json json = {
      {"index", stream.index},
      {"type", MediaTypeName(codec.codec_type)},
      {"codec", avcodec_get_name(codec.codec_id)},
      {"default", (stream.disposition & AV_DISPOSITION_DEFAULT) != 0},
  };
  if (codec.codec_type == AVMEDIA_TYPE_VIDEO) {
    json["width"] = codec.width;
    json["height"] = codec.height;
    json["rotation"] = StreamRotationClockwise(stream);
    json["fps"] = FrameRate(stream);
    json["attached_pic"] = (stream.disposition & AV_DISPOSITION_ATTACHED_PIC) != 0;
    if (stream.nb_frames > 0) json["frame_count"] = stream.nb_frames;
  } else if (codec.codec_type == AVMEDIA_TYPE_AUDIO) {
    json["sample_rate"] = codec.sample_rate;
    json["channels"] = codec.ch_layout.nb_channels;
    json["bits_per_sample"] = BitsPerSample(codec);
  }
  if (codec.bit_rate > 0) json["bit_rate"] = codec.bit_rate;
  if (stream.duration != AV_NOPTS_VALUE) json["duration"] = StreamSeconds(stream, stream.duration);
  json["tags"] = TagsJson(stream.metadata);
  if (json["tags"].contains("language")) json["language"] = json["tags"]["language"];
  if (json["tags"].contains("title")) json["title"] = json["tags"]["title"];
  return json;
}

double ContainerDuration(const AVFormatContext& format) {
  if (format.duration != AV_NOPTS_VALUE && format.duration > 0) {
    return static_cast<double>(format.duration) / AV_TIME_BASE;
  }
  double longest = 0;
  for (unsigned i = 0; i < format.nb_streams; ++i) {
    const AVStream& stream = *format.streams[i];
    if (stream.duration != AV_NOPTS_VALUE) {
      longest = std::max(longest, StreamSeconds(stream, stream.duration));
    }
  }
  return longest;
}

// A RIFF file (WAV) whose size field promises more bytes than the file has
// was cut short. FFmpeg plays the data present without a warning, so this
// logs one.
void WarnOnShortRiff(const std::filesystem::path& path, uintmax_t file_size) {
  std::array<unsigned char, 8> header{};
  std::ifstream file(path, std::ios::binary);
  file.read(reinterpret_cast<char*>(header.data()), header.size());
  if (file.gcount() != static_cast<std::streamsize>(header.size())) return;
  if (header[0] != 'R' || header[1] != 'I' || header[2] != 'F' || header[3] != 'F') return;
  uint64_t declared = 8 + (uint64_t{header[4]} | uint64_t{header[5]} << 8 |
                           uint64_t{header[6]} << 16 | uint64_t{header[7]} << 24);
  if (declared <= file_size) return;
  spdlog::warn(
      "media: '{}' is shorter than its RIFF header declares ({} of {} bytes); it was probably cut "
      "short, and only the audio present is counted in its duration",
      path.string(), file_size, declared);
}

void ValidateVideo(const std::filesystem::path& path, AVFormatContext& format, int stream_index) {
  const AVStream& stream = *format.streams[stream_index];
  CodecContextPtr decoder = OpenDecoder(stream, path);
  FfmpegErrorCapture capture;
  std::string error;
  if (DecodeNextFrame(format, stream_index, *decoder, kMaxPacketsForFirstFrame, &error)) return;
  std::string detail = capture.Text();
  throw MediaError(fmt::format(
      "cannot decode any {} video frame of '{}': {}{}; the container is readable but the video "
      "data is corrupt or truncated",
      avcodec_get_name(stream.codecpar->codec_id), path.string(), error,
      detail.empty() ? "" : " (" + detail + ")"));
}

// Validates the audio stream of an audio-only file and returns the duration
// to report.
double CheckAudio(const std::filesystem::path& path, AVFormatContext& format, int stream_index,
                  uintmax_t file_size, double container_duration) {
  const AVStream& stream = *format.streams[stream_index];
  CodecContextPtr decoder = OpenDecoder(stream, path);
  FfmpegErrorCapture capture;
  bool measure = file_size <= kMaxDurationScanBytes;
  AudioScanResult scan = ScanAudioStream(format, stream_index, *decoder, measure);
  if (!scan.decoded_frame) {
    std::string detail = capture.Text();
    throw MediaError(
        fmt::format("cannot decode any {} audio of '{}': {}{}; the file may contain "
                    "only tags, or its audio data is corrupt",
                    avcodec_get_name(stream.codecpar->codec_id), path.string(), scan.error,
                    detail.empty() ? "" : " (" + detail + ")"));
  }
  if (!scan.measured_duration) return container_duration;

  double measured = *scan.measured_duration;
  double tolerance = std::max(0.5, 0.02 * container_duration);
  if (container_duration <= 0 || std::abs(measured - container_duration) <= tolerance) {
    return container_duration > 0 ? container_duration : measured;
  }
  spdlog::warn(
      "media: '{}' declares {:.3f} s of audio but its packets cover {:.3f} s; reporting {:.3f} s",
      path.string(), container_duration, measured, measured);
  return measured;
}

}  // namespace

store::MediaInfo ProbeAudioVideo(const std::filesystem::path& path) {
  uintmax_t file_size = RequireNonEmptyFile(path);
  FormatContextPtr format = OpenMediaFile(path);

  int video_index = FindVideoStream(*format);
  int audio_index = FindAudioStream(*format);
  if (video_index < 0 && audio_index < 0) {
    throw MediaError(
        fmt::format("cannot index '{}': the {} container holds no audio or video stream",
                    path.string(), format->iformat->name));
  }

  store::MediaInfo info;
  info.kind = video_index >= 0 ? "video" : "audio";
  info.format = format->iformat->name;
  info.duration = ContainerDuration(*format);
  info.bit_rate = format->bit_rate > 0 ? format->bit_rate : 0;
  AddTags(format->metadata, info.tags);

  for (unsigned i = 0; i < format->nb_streams; ++i) {
    const AVStream& stream = *format->streams[i];
    info.streams.push_back(StreamJson(stream));
    if (stream.codecpar->codec_type == AVMEDIA_TYPE_AUDIO) ++info.audio_streams;
    if (stream.codecpar->codec_type == AVMEDIA_TYPE_SUBTITLE) ++info.subtitle_streams;
  }

  if (video_index >= 0) {
    const AVStream& video = *format->streams[video_index];
    info.has_video = true;
    info.video_codec = avcodec_get_name(video.codecpar->codec_id);
    info.stored_width = video.codecpar->width;
    info.stored_height = video.codecpar->height;
    info.rotation = StreamRotationClockwise(video);
    bool swaps_sides = info.rotation == 90 || info.rotation == 270;
    info.width = swaps_sides ? info.stored_height : info.stored_width;
    info.height = swaps_sides ? info.stored_width : info.stored_height;
    info.fps = FrameRate(video);
  }

  if (audio_index >= 0) {
    const AVStream& audio = *format->streams[audio_index];
    info.has_audio = true;
    info.audio_codec = avcodec_get_name(audio.codecpar->codec_id);
    info.sample_rate = audio.codecpar->sample_rate;
    info.channels = audio.codecpar->ch_layout.nb_channels;
    info.bits_per_sample = BitsPerSample(*audio.codecpar);
    // Ogg and Opus keep their Vorbis comments on the stream, not on the
    // container.
    if (video_index < 0) AddTags(audio.metadata, info.tags);
  }

  if (video_index >= 0) {
    ValidateVideo(path, *format, video_index);
  } else {
    if (std::string_view(format->iformat->name) == "wav") WarnOnShortRiff(path, file_size);
    info.duration = CheckAudio(path, *format, audio_index, file_size, info.duration);
  }
  return info;
}

}  // namespace msearch::media

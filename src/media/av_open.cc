#include "media/av_open.h"

#include <cmath>
#include <string>

#include <fmt/format.h>

extern "C" {
#include <libavutil/dict.h>
#include <libavutil/display.h>
}

#include "media/ffmpeg_log.h"
#include "media/media_error.h"

namespace msearch::media {
namespace {

std::string WithDetail(const std::string& message, const FfmpegErrorCapture& capture) {
  std::string detail = capture.Text();
  return detail.empty() ? message : message + " (" + detail + ")";
}

}  // namespace

FormatContextPtr OpenMediaFile(const std::filesystem::path& path) {
  FfmpegErrorCapture capture;

  // The "file:" prefix stops FFmpeg from reading "name:rest.mp4" as a URL
  // with protocol "name", and the whitelist stops playlists or concat files
  // from opening network or other local URLs.
  std::string url = "file:" + path.string();
  AVDictionary* options = nullptr;
  av_dict_set(&options, "protocol_whitelist", "file", 0);
  AVFormatContext* raw = nullptr;
  int rc = avformat_open_input(&raw, url.c_str(), nullptr, &options);
  av_dict_free(&options);
  if (rc < 0) {
    throw MediaError(WithDetail(fmt::format("cannot open '{}' as audio or video: {}", path.string(),
                                            FfmpegErrorString(rc)),
                                capture) +
                     "; the file may be truncated, still being written, or not a media file");
  }
  FormatContextPtr format(raw);

  rc = avformat_find_stream_info(format.get(), nullptr);
  if (rc < 0) {
    throw MediaError(WithDetail(
        fmt::format("cannot read the streams of '{}': {}", path.string(), FfmpegErrorString(rc)),
        capture));
  }
  return format;
}

CodecContextPtr OpenDecoder(const AVStream& stream, const std::filesystem::path& path) {
  return OpenDecoder(stream, path, DecoderSetup());
}

CodecContextPtr OpenDecoder(const AVStream& stream, const std::filesystem::path& path,
                            const DecoderSetup& setup) {
  FfmpegErrorCapture capture;
  const AVCodec* codec = avcodec_find_decoder(stream.codecpar->codec_id);
  if (codec == nullptr) {
    throw MediaError(
        fmt::format("cannot decode '{}': no decoder for codec '{}' in this FFmpeg build",
                    path.string(), avcodec_get_name(stream.codecpar->codec_id)));
  }
  CodecContextPtr decoder(avcodec_alloc_context3(codec));
  if (!decoder) throw MediaError("cannot allocate an FFmpeg decoder: out of memory");

  int rc = avcodec_parameters_to_context(decoder.get(), stream.codecpar);
  if (rc >= 0) {
    decoder->thread_count = 1;
    decoder->pkt_timebase = stream.time_base;
    if (setup) setup(*decoder, *codec);
    rc = avcodec_open2(decoder.get(), codec, nullptr);
  }
  if (rc < 0) {
    throw MediaError(WithDetail(fmt::format("cannot open the {} decoder for '{}': {}", codec->name,
                                            path.string(), FfmpegErrorString(rc)),
                                capture));
  }
  return decoder;
}

int FindVideoStream(const AVFormatContext& format) {
  for (unsigned i = 0; i < format.nb_streams; ++i) {
    const AVStream* stream = format.streams[i];
    if (stream->codecpar->codec_type == AVMEDIA_TYPE_VIDEO &&
        (stream->disposition & AV_DISPOSITION_ATTACHED_PIC) == 0) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

int FindCoverArtStream(const AVFormatContext& format) {
  for (unsigned i = 0; i < format.nb_streams; ++i) {
    const AVStream* stream = format.streams[i];
    if ((stream->disposition & AV_DISPOSITION_ATTACHED_PIC) != 0 && stream->attached_pic.size > 0) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

int FindAudioStream(const AVFormatContext& format) {
  for (unsigned i = 0; i < format.nb_streams; ++i) {
    if (format.streams[i]->codecpar->codec_type == AVMEDIA_TYPE_AUDIO) return static_cast<int>(i);
  }
  return -1;
}

int StreamRotationClockwise(const AVStream& stream) {
  size_t size = 0;
  const uint8_t* matrix = av_stream_get_side_data(&stream, AV_PKT_DATA_DISPLAYMATRIX, &size);
  if (matrix == nullptr || size < 9 * sizeof(int32_t)) return 0;

  // av_display_rotation_get returns the counterclockwise angle.
  double counterclockwise = av_display_rotation_get(reinterpret_cast<const int32_t*>(matrix));
  if (std::isnan(counterclockwise)) return 0;
  int clockwise = static_cast<int>(std::lround(-counterclockwise)) % 360;
  return clockwise < 0 ? clockwise + 360 : clockwise;
}

double StreamSeconds(const AVStream& stream, int64_t timestamp) {
  return static_cast<double>(timestamp) * av_q2d(stream.time_base);
}

std::optional<double> PresentationStartSeconds(const AVFormatContext& format) {
  std::optional<double> start;
  for (unsigned i = 0; i < format.nb_streams; ++i) {
    const AVStream& stream = *format.streams[i];
    AVMediaType type = stream.codecpar->codec_type;
    if (type != AVMEDIA_TYPE_AUDIO && type != AVMEDIA_TYPE_VIDEO) continue;
    if ((stream.disposition & AV_DISPOSITION_ATTACHED_PIC) != 0) continue;
    if (stream.start_time == AV_NOPTS_VALUE) continue;
    double stream_start = StreamSeconds(stream, stream.start_time);
    if (!start || stream_start < *start) start = stream_start;
  }
  return start;
}

}  // namespace msearch::media

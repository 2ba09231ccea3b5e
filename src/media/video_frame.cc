#include "media/video_frame.h"

#include <algorithm>

#include <fmt/format.h>

#include "media/av_open.h"
#include "media/ffmpeg_log.h"
#include "media/media_error.h"

namespace msearch::media {
namespace {

// Frames decoded forward from a key frame while looking for the target time.
constexpr int kMaxFramesAfterSeek = 600;

// Packets of other streams (audio, subtitles) read while looking for video.
constexpr int kMaxOtherPackets = 20000;

}  // namespace

FramePtr DecodeNextFrame(AVFormatContext& format, int stream_index, AVCodecContext& decoder,
                         int max_packets, std::string* error) {
  PacketPtr packet(av_packet_alloc());
  FramePtr frame(av_frame_alloc());
  if (!packet || !frame) throw MediaError("cannot allocate an FFmpeg frame: out of memory");

  int stream_packets = 0;
  int other_packets = 0;
  bool flushing = false;
  int last_error = 0;
  while (true) {
    int rc = avcodec_receive_frame(&decoder, frame.get());
    if (rc == 0) return frame;
    if (rc != AVERROR(EAGAIN) && rc != AVERROR_EOF) last_error = rc;
    if (rc == AVERROR_EOF || flushing) break;

    if (stream_packets >= max_packets || other_packets >= kMaxOtherPackets) break;
    rc = av_read_frame(&format, packet.get());
    if (rc < 0) {
      if (rc != AVERROR_EOF) last_error = rc;
      flushing = true;
      avcodec_send_packet(&decoder, nullptr);
      continue;
    }
    if (packet->stream_index != stream_index) {
      ++other_packets;
      av_packet_unref(packet.get());
      continue;
    }
    ++stream_packets;
    rc = avcodec_send_packet(&decoder, packet.get());
    av_packet_unref(packet.get());
    if (rc < 0 && rc != AVERROR(EAGAIN)) last_error = rc;
  }

  if (error != nullptr) {
    *error = last_error != 0 ? FfmpegErrorString(last_error)
                             : fmt::format("no frame after {} packets", stream_packets);
  }
  return nullptr;
}

FramePtr DecodeFrameNear(AVFormatContext& format, int stream_index, AVCodecContext& decoder,
                         double seconds) {
  const AVStream& stream = *format.streams[stream_index];
  int64_t start = stream.start_time != AV_NOPTS_VALUE ? stream.start_time : 0;
  int64_t target = start + static_cast<int64_t>(seconds / av_q2d(stream.time_base));
  if (av_seek_frame(&format, stream_index, target, AVSEEK_FLAG_BACKWARD) < 0) return nullptr;
  avcodec_flush_buffers(&decoder);

  FramePtr best;
  for (int i = 0; i < kMaxFramesAfterSeek; ++i) {
    std::string ignored;
    FramePtr frame =
        DecodeNextFrame(format, stream_index, decoder, kMaxPacketsForFirstFrame, &ignored);
    if (!frame) break;
    int64_t timestamp = frame->best_effort_timestamp;
    best = std::move(frame);
    if (timestamp == AV_NOPTS_VALUE || timestamp >= target) break;
  }
  return best;
}

RepresentativeFrame DecodeRepresentativeFrame(const std::filesystem::path& path,
                                              FormatContextPtr format, int stream_index) {
  RepresentativeFrame result;
  const AVStream& stream = *format->streams[stream_index];
  const AVCodecID codec_id = stream.codecpar->codec_id;
  result.rotation_clockwise = StreamRotationClockwise(stream);
  AVRational sar =
      av_guess_sample_aspect_ratio(format.get(), format->streams[stream_index], nullptr);
  if (sar.num > 0 && sar.den > 0) result.sample_aspect_ratio = av_q2d(sar);

  CodecContextPtr decoder = OpenDecoder(stream, path);
  double duration = format->duration != AV_NOPTS_VALUE
                        ? static_cast<double>(format->duration) / AV_TIME_BASE
                        : 0.0;
  double target = std::min(1.0, duration * 0.1);

  FfmpegErrorCapture capture;
  if (target > 0) {
    result.frame = DecodeFrameNear(*format, stream_index, *decoder, target);
    if (result.frame) return result;
    // Seeking failed or found nothing (damaged index, odd timestamps), so
    // start again from a fresh demuxer and take the first frame. The stream
    // index is the same because the file is the same.
    decoder.reset();
    format = OpenMediaFile(path);
    if (static_cast<unsigned>(stream_index) >= format->nb_streams) {
      throw MediaError(fmt::format("'{}' changed while its thumbnail was made", path.string()));
    }
    decoder = OpenDecoder(*format->streams[stream_index], path);
  }

  std::string error;
  result.frame = DecodeNextFrame(*format, stream_index, *decoder, kMaxPacketsForFirstFrame, &error);
  if (!result.frame) {
    std::string detail = capture.Text();
    throw MediaError(
        fmt::format("cannot decode any {} video frame of '{}': {}{}; the video data "
                    "is corrupt or truncated",
                    avcodec_get_name(codec_id), path.string(), error,
                    detail.empty() ? "" : " (" + detail + ")"));
  }
  return result;
}

}  // namespace msearch::media

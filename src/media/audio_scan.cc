#include "media/audio_scan.h"

#include <algorithm>
#include <limits>

#include "media/ffmpeg_log.h"
#include "media/media_error.h"
#include "media/video_frame.h"

namespace msearch::media {
namespace {

// Tracks the time span covered by the packets of one stream.
class PacketSpan {
 public:
  void Add(const AVPacket& packet) {
    int64_t start = packet.pts != AV_NOPTS_VALUE ? packet.pts : packet.dts;
    if (start == AV_NOPTS_VALUE) return;
    first_ = std::min(first_, start);
    last_end_ = std::max(last_end_, start + std::max<int64_t>(packet.duration, 0));
  }

  std::optional<double> Seconds(AVRational time_base) const {
    if (last_end_ < first_) return std::nullopt;
    return static_cast<double>(last_end_ - first_) * av_q2d(time_base);
  }

 private:
  int64_t first_ = std::numeric_limits<int64_t>::max();
  int64_t last_end_ = std::numeric_limits<int64_t>::min();
};

}  // namespace

AudioScanResult ScanAudioStream(AVFormatContext& format, int stream_index, AVCodecContext& decoder,
                                bool measure_duration) {
  PacketPtr packet(av_packet_alloc());
  FramePtr frame(av_frame_alloc());
  if (!packet || !frame) throw MediaError("cannot allocate an FFmpeg frame: out of memory");

  AudioScanResult result;
  PacketSpan span;
  int stream_packets = 0;
  int last_error = 0;
  bool reached_end = false;
  while (true) {
    int rc = av_read_frame(&format, packet.get());
    if (rc < 0) {
      if (rc != AVERROR_EOF) last_error = rc;
      reached_end = rc == AVERROR_EOF;
      break;
    }
    if (packet->stream_index != stream_index) {
      av_packet_unref(packet.get());
      continue;
    }
    ++stream_packets;
    span.Add(*packet);
    if (!result.decoded_frame) {
      rc = avcodec_send_packet(&decoder, packet.get());
      if (rc < 0 && rc != AVERROR(EAGAIN)) last_error = rc;
      rc = avcodec_receive_frame(&decoder, frame.get());
      if (rc == 0) result.decoded_frame = true;
      if (rc < 0 && rc != AVERROR(EAGAIN)) last_error = rc;
    }
    av_packet_unref(packet.get());

    if (result.decoded_frame && !measure_duration) break;
    if (!result.decoded_frame && !measure_duration && stream_packets >= kMaxPacketsForFirstFrame) {
      break;
    }
  }

  // Decoders with delay (Opus pre-skip, AAC priming) may hold the only
  // frame of a very short stream until flushed.
  if (!result.decoded_frame && reached_end) {
    avcodec_send_packet(&decoder, nullptr);
    if (avcodec_receive_frame(&decoder, frame.get()) == 0) result.decoded_frame = true;
  }

  if (!result.decoded_frame) {
    result.error = stream_packets == 0 ? "the file contains no audio data"
                   : last_error != 0   ? FfmpegErrorString(last_error)
                                       : "no frame decoded";
  }
  if (measure_duration && reached_end) {
    result.measured_duration = span.Seconds(format.streams[stream_index]->time_base);
  }
  return result;
}

}  // namespace msearch::media

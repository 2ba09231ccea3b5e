#include "media/video_frame_source.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/logging.h"
#include "media/av_open.h"
#include "media/ffmpeg_log.h"
#include "media/media_error.h"

namespace msearch::media {
namespace {

LogRateLimiter& DecodeErrorLimiter() {
  static LogRateLimiter limiter(10, std::chrono::seconds(60));
  return limiter;
}

void LogDecodeProblem(const std::filesystem::path& path, std::string_view problem, int error_code) {
  size_t suppressed = 0;
  if (!DecodeErrorLimiter().Allow(problem, &suppressed)) return;
  spdlog::debug("media: {} in '{}': {}; skipped{}", problem, path.string(),
                error_code != 0 ? FfmpegErrorString(error_code) : "decoded with errors",
                suppressed > 0 ? fmt::format(" ({} similar messages suppressed)", suppressed) : "");
}

// Returns the largest lowres factor (each step halves both sides) that
// `codec` supports and that keeps the shorter side at least `min_short_side`.
int ChooseLowres(const AVCodec& codec, const AVCodecParameters& parameters, int min_short_side) {
  if (min_short_side <= 0) return 0;
  int short_side = std::min(parameters.width, parameters.height);
  int lowres = 0;
  while (lowres < codec.max_lowres && (short_side >> (lowres + 1)) >= min_short_side) ++lowres;
  return lowres;
}

CodecContextPtr OpenFastDecoder(const AVStream& stream, const std::filesystem::path& path,
                                const FastDecodeOptions& options) {
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
    // One thread keeps FFmpeg's error messages on this thread, where
    // FfmpegErrorCapture collects them. Callers parallelise across files.
    decoder->thread_count = 1;
    decoder->pkt_timebase = stream.time_base;
    decoder->lowres = ChooseLowres(*codec, *stream.codecpar, options.min_short_side);
    decoder->flags2 |= AV_CODEC_FLAG2_FAST;
    decoder->skip_loop_filter = AVDISCARD_ALL;
    decoder->skip_frame = options.skip_non_reference ? AVDISCARD_NONREF : AVDISCARD_DEFAULT;
    rc = avcodec_open2(decoder.get(), codec, nullptr);
  }
  if (rc < 0) {
    std::string detail = capture.Text();
    throw MediaError(fmt::format("cannot open the {} decoder for '{}': {}{}", codec->name,
                                 path.string(), FfmpegErrorString(rc),
                                 detail.empty() ? "" : " (" + detail + ")"));
  }
  return decoder;
}

// Consecutive errors from avcodec_receive_frame before the frames still in
// the decoder are given up.
constexpr int kMaxReceiveErrors = 64;

double RateOrZero(AVRational rate) { return rate.num > 0 && rate.den > 0 ? av_q2d(rate) : 0.0; }

}  // namespace

VideoFrameSource::VideoFrameSource(const std::filesystem::path& path,
                                   const FastDecodeOptions& options)
    : path_(path), format_(OpenMediaFile(path)), options_(options) {
  stream_index_ = FindVideoStream(*format_);
  if (stream_index_ < 0) {
    throw MediaError(fmt::format("cannot segment '{}': it has no video stream", path.string()));
  }
  for (unsigned i = 0; i < format_->nb_streams; ++i) {
    if (static_cast<int>(i) != stream_index_) format_->streams[i]->discard = AVDISCARD_ALL;
  }
  stream_ = format_->streams[stream_index_];
  decoder_ = OpenFastDecoder(*stream_, path, options);
  if (options.skim_quiet_gops) {
    key_decoder_ = OpenFastDecoder(*stream_, path, options);
    key_scaler_ = std::make_unique<FrameAnalysisScaler>(path);
  }
  packet_.reset(av_packet_alloc());
  if (!packet_) throw MediaError("cannot allocate an FFmpeg packet: out of memory");

  geometry_.rotation_clockwise = StreamRotationClockwise(*stream_);
  AVRational sar =
      av_guess_sample_aspect_ratio(format_.get(), format_->streams[stream_index_], nullptr);
  if (sar.num > 0 && sar.den > 0) geometry_.sample_aspect_ratio = av_q2d(sar);
  int width = stream_->codecpar->width;
  int height = stream_->codecpar->height;
  display_width_ =
      std::max(1, static_cast<int>(std::lround(width * geometry_.sample_aspect_ratio)));
  display_height_ = std::max(1, height);
  if (geometry_.rotation_clockwise == 90 || geometry_.rotation_clockwise == 270) {
    std::swap(display_width_, display_height_);
  }

  if (stream_->duration != AV_NOPTS_VALUE && stream_->duration > 0) {
    container_duration_s_ = StreamSeconds(*stream_, stream_->duration);
  } else if (format_->duration != AV_NOPTS_VALUE && format_->duration > 0) {
    container_duration_s_ = static_cast<double>(format_->duration) / AV_TIME_BASE;
  }
  double frame_rate = RateOrZero(stream_->avg_frame_rate);
  if (frame_rate <= 0) frame_rate = RateOrZero(stream_->r_frame_rate);
  if (frame_rate > 0 && frame_rate < 1000) default_frame_interval_s_ = 1.0 / frame_rate;
  if (stream_->start_time != AV_NOPTS_VALUE) origin_ = stream_->start_time;
}

double VideoFrameSource::end_s() const {
  double end = last_time_s_ < 0 ? 0.0 : last_time_s_ + last_duration_s_;
  if (last_packet_end_ != AV_NOPTS_VALUE && origin_ != AV_NOPTS_VALUE) {
    end = std::max(end, StreamSeconds(*stream_, last_packet_end_ - origin_));
  }
  return end;
}

void VideoFrameSource::NotePacket(const AVPacket& packet) {
  int64_t timestamp = packet.pts != AV_NOPTS_VALUE ? packet.pts : packet.dts;
  if (timestamp == AV_NOPTS_VALUE) return;
  int64_t end = timestamp + std::max<int64_t>(0, packet.duration);
  if (last_packet_end_ == AV_NOPTS_VALUE || end > last_packet_end_) last_packet_end_ = end;
}

double VideoFrameSource::FrameTime(const AVFrame& frame) {
  double time = last_time_s_ < 0 ? 0.0 : last_time_s_ + last_duration_s_;
  int64_t timestamp = frame.best_effort_timestamp;
  if (timestamp != AV_NOPTS_VALUE) {
    if (origin_ == AV_NOPTS_VALUE) origin_ = timestamp;
    time = std::max(0.0, StreamSeconds(*stream_, timestamp - origin_));
  }
  time = std::max(time, std::max(0.0, last_time_s_));
  last_time_s_ = time;
  last_duration_s_ = frame.pkt_duration > 0 ? StreamSeconds(*stream_, frame.pkt_duration)
                                            : default_frame_interval_s_;
  return time;
}

FramePtr VideoFrameSource::Next(double* time_s) {
  while (ready_.empty() && !finished_) {
    if (options_.skim_quiet_gops) {
      StepSkim();
    } else {
      StepPlain();
    }
  }
  if (ready_.empty()) return nullptr;
  FramePtr frame = std::move(ready_.front());
  ready_.pop_front();
  *time_s = FrameTime(*frame);
  return frame;
}

bool VideoFrameSource::ReadPacket() {
  while (true) {
    int rc = av_read_frame(format_.get(), packet_.get());
    if (rc < 0) {
      if (rc != AVERROR_EOF) LogDecodeProblem(path_, "read error", rc);
      return false;
    }
    if (packet_->stream_index == stream_index_) {
      NotePacket(*packet_);
      return true;
    }
    av_packet_unref(packet_.get());
  }
}

void VideoFrameSource::QueueFrame(FramePtr frame) {
  if ((frame->flags & AV_FRAME_FLAG_CORRUPT) != 0 || frame->decode_error_flags != 0) {
    ++frames_dropped_;
    LogDecodeProblem(path_, "video frame decoded with errors", 0);
    return;
  }
  ++frames_decoded_;
  ready_.push_back(std::move(frame));
}

void VideoFrameSource::ReceiveFrames() {
  int errors = 0;
  while (true) {
    FramePtr frame(av_frame_alloc());
    if (!frame) throw MediaError("cannot allocate an FFmpeg frame: out of memory");
    int rc = avcodec_receive_frame(decoder_.get(), frame.get());
    if (rc == 0) {
      QueueFrame(std::move(frame));
      continue;
    }
    if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return;
    ++packets_rejected_;
    LogDecodeProblem(path_, "video decoding error", rc);
    // Bounded, so that a decoder stuck in an error state cannot loop forever.
    if (++errors >= kMaxReceiveErrors) return;
  }
}

void VideoFrameSource::SendToDecoder(const AVPacket* packet) {
  int rc = avcodec_send_packet(decoder_.get(), packet);
  if (rc == AVERROR(EAGAIN)) {
    ReceiveFrames();
    rc = avcodec_send_packet(decoder_.get(), packet);
  }
  if (rc < 0 && rc != AVERROR(EAGAIN) && rc != AVERROR_EOF) {
    ++packets_rejected_;
    LogDecodeProblem(path_, "corrupt video packet", rc);
  }
  ReceiveFrames();
  decoder_fed_ = true;
}

void VideoFrameSource::DrainDecoder() {
  if (!decoder_fed_) return;
  SendToDecoder(nullptr);
  avcodec_flush_buffers(decoder_.get());
  decoder_fed_ = false;
}

void VideoFrameSource::StepPlain() {
  if (!ReadPacket()) {
    DrainDecoder();
    finished_ = true;
    return;
  }
  SendToDecoder(packet_.get());
  av_packet_unref(packet_.get());
}

}  // namespace msearch::media

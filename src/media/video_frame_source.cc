#include "media/video_frame_source.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>

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

// Consecutive errors from avcodec_receive_frame before the frames still in
// the decoder are given up.
constexpr int kMaxReceiveErrors = 64;

double RateOrZero(AVRational rate) { return rate.num > 0 && rate.den > 0 ? av_q2d(rate) : 0.0; }

}  // namespace

VideoFrameSource::VideoFrameSource(const std::filesystem::path& path,
                                   const FastDecodeOptions& options,
                                   const FramePreparation& preparation)
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

  // Time 0 is the start of the presentation, which is before the first
  // video frame when the audio starts first.
  std::optional<double> presentation_start = PresentationStartSeconds(*format_);
  if (presentation_start) {
    origin_ = std::llround(*presentation_start / av_q2d(stream_->time_base));
  }
  if (stream_->duration != AV_NOPTS_VALUE && stream_->duration > 0) {
    container_duration_s_ = StreamSeconds(*stream_, stream_->duration);
    if (stream_->start_time != AV_NOPTS_VALUE && presentation_start) {
      container_duration_s_ += StreamSeconds(*stream_, stream_->start_time) - *presentation_start;
    }
  } else if (format_->duration != AV_NOPTS_VALUE && format_->duration > 0) {
    container_duration_s_ = static_cast<double>(format_->duration) / AV_TIME_BASE;
  }
  double frame_rate = RateOrZero(stream_->avg_frame_rate);
  if (frame_rate <= 0) frame_rate = RateOrZero(stream_->r_frame_rate);
  if (frame_rate > 0 && frame_rate < 1000) default_frame_interval_s_ = 1.0 / frame_rate;

  int64_t pixels = static_cast<int64_t>(width) * height;
  if (options.decode_threads > 1 && pixels >= options.parallel_min_pixels) {
    pool_ = std::make_unique<GopDecoderPool>(path, *stream_, options, geometry_, preparation,
                                             options.decode_threads);
  }
}

VideoFrameSource::~VideoFrameSource() = default;

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

double VideoFrameSource::FrameTime(int64_t timestamp, int64_t duration) {
  double time = last_time_s_ < 0 ? 0.0 : last_time_s_ + last_duration_s_;
  if (timestamp != AV_NOPTS_VALUE) {
    if (origin_ == AV_NOPTS_VALUE) origin_ = timestamp;
    time = std::max(0.0, StreamSeconds(*stream_, timestamp - origin_));
  }
  time = std::max(time, std::max(0.0, last_time_s_));
  last_time_s_ = time;
  last_duration_s_ = duration > 0 ? StreamSeconds(*stream_, duration) : default_frame_interval_s_;
  return time;
}

bool VideoFrameSource::Next(SourceFrame* frame) {
  while (true) {
    if (!ready_.empty()) {
      Slot& front = ready_.front();
      if (front.frame) {
        frame->frame = std::move(front.frame);
        ready_.pop_front();
        frame->time_s = FrameTime(frame->frame->best_effort_timestamp, frame->frame->pkt_duration);
        frame->analysis.clear();
        frame->model_pixels.reset();
        return true;
      }
      PreparedFrame prepared;
      GopJob::Poll poll = front.job->Take(&prepared);
      if (poll == GopJob::Poll::kFrame) {
        frame->time_s = FrameTime(prepared.timestamp, prepared.duration);
        frame->frame.reset();
        frame->analysis = std::move(prepared.analysis);
        frame->model_pixels = std::move(prepared.model_pixels);
        return true;
      }
      if (poll == GopJob::Poll::kDone) {
        FinishJob(*front.job);
        ready_.pop_front();
        --jobs_queued_;
        continue;
      }
      // While the oldest GOP decodes, reading ahead hands later GOPs to the
      // other threads, and one more waits queued so no thread idles.
      if (!finished_ && jobs_queued_ <= pool_->threads()) {
        Step();
      } else {
        front.job->Wait();
      }
      continue;
    }
    if (finished_) return false;
    Step();
  }
}

void VideoFrameSource::Step() {
  if (pool_ || options_.skim_quiet_gops) {
    StepGops();
  } else {
    StepPlain();
  }
}

void VideoFrameSource::FinishJob(const GopJob& job) {
  frames_decoded_ += job.frames_decoded();
  frames_dropped_ += job.frames_dropped();
  packets_rejected_ += job.packets_rejected();
  if (worker_ffmpeg_errors_.empty()) worker_ffmpeg_errors_ = job.ffmpeg_errors();
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
  ready_.push_back(Slot{std::move(frame), nullptr});
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

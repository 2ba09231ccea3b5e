#include "media/audio_decode.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/error.h"
#include "common/logging.h"
#include "media/audio_decode_resampler.h"
#include "media/av_open.h"
#include "media/ffmpeg_handles.h"
#include "media/ffmpeg_log.h"
#include "media/init.h"
#include "media/media_error.h"

namespace msearch::media {
namespace {

constexpr int kMinSampleRate = 1000;
constexpr int kMaxSampleRate = 384000;
// The corrupt-packet fraction is checked during decoding only after this
// many packets, so a few damaged packets at the start of a stream (a
// recording cut mid-stream) do not reject it. The end of the stream always
// checks.
constexpr int64_t kMinPacketsForEarlyCorruptCheck = 50;

LogRateLimiter corrupt_packet_log_limiter(10, std::chrono::seconds(60));

void ValidateOptions(const AudioDecodeOptions& options) {
  if (options.sample_rate < kMinSampleRate || options.sample_rate > kMaxSampleRate) {
    throw Error(fmt::format("invalid audio sample rate {} Hz: expected {} to {}",
                            options.sample_rate, kMinSampleRate, kMaxSampleRate));
  }
  if (!(options.max_seconds >= 0)) {
    throw Error(fmt::format("invalid audio max_seconds {}: expected 0 (no limit) or more",
                            options.max_seconds));
  }
  if (!(options.max_corrupt_packet_fraction >= 0 && options.max_corrupt_packet_fraction <= 1)) {
    throw Error(fmt::format("invalid max_corrupt_packet_fraction {}: expected 0 to 1",
                            options.max_corrupt_packet_fraction));
  }
}

// One decoding run: reads packets of the audio stream, decodes, resamples
// and passes the samples to the sink.
class AudioStreamDecoder {
 public:
  AudioStreamDecoder(const std::filesystem::path& path, const AudioDecodeOptions& options,
                     const AudioSink& sink)
      : path_(path),
        options_(options),
        sink_(sink),
        resampler_(options.sample_rate),
        max_samples_(options.max_seconds > 0 ? static_cast<int64_t>(std::llround(
                                                   options.max_seconds * options.sample_rate))
                                             : 0) {}

  AudioDecodeResult Run() {
    format_ = OpenMediaFile(path_);
    int index = FindAudioStream(*format_);
    if (index < 0) {
      throw MediaError(
          fmt::format("'{}' has no audio stream; only files with sound can be decoded as audio",
                      path_.string()));
    }
    result_.stream_index = index;
    stream_ = format_->streams[index];
    // The demuxer then skips the packets of video and subtitle streams.
    for (unsigned i = 0; i < format_->nb_streams; ++i) {
      if (static_cast<int>(i) != index) format_->streams[i]->discard = AVDISCARD_ALL;
    }
    decoder_ = OpenDecoder(*stream_, path_);
    result_.codec = avcodec_get_name(stream_->codecpar->codec_id);
    result_.sample_rate = options_.sample_rate;

    packet_.reset(av_packet_alloc());
    frame_.reset(av_frame_alloc());
    if (!packet_ || !frame_) throw MediaError("cannot allocate an FFmpeg frame: out of memory");

    bool more = ReadAndDecode();
    if (more) more = FlushDecoder();
    if (more) Deliver(resampler_.Flush());

    CheckCorruption(/*at_end=*/true);
    if (result_.sample_count == 0) throw NoAudioError();
    result_.duration_seconds =
        static_cast<double>(result_.sample_count) / static_cast<double>(result_.sample_rate);
    return result_;
  }

 private:
  // Returns false when decoding stopped early.
  bool ReadAndDecode() {
    while (true) {
      int rc = av_read_frame(format_.get(), packet_.get());
      if (rc == AVERROR_EOF) return true;
      if (rc < 0) {
        // A read error mid-file (a truncated or unreadable file) ends the
        // stream. What decoded so far is kept, and an empty result throws.
        read_error_ = rc;
        spdlog::debug("audio: reading '{}' stopped: {}", path_.string(), FfmpegErrorString(rc));
        return true;
      }
      if (packet_->stream_index != result_.stream_index) {
        av_packet_unref(packet_.get());
        continue;
      }
      ++result_.packet_count;
      rc = avcodec_send_packet(decoder_.get(), packet_.get());
      av_packet_unref(packet_.get());
      bool corrupt = rc < 0 && rc != AVERROR(EAGAIN);
      if (corrupt) last_decode_error_ = rc;
      bool more = ReceiveFrames(&corrupt);
      if (corrupt) ++result_.corrupt_packets;
      if (!more) return false;
      CheckCorruption(/*at_end=*/false);
    }
  }

  bool FlushDecoder() {
    avcodec_send_packet(decoder_.get(), nullptr);
    bool corrupt = false;
    return ReceiveFrames(&corrupt);
  }

  // Drains every frame the decoder has ready. Sets `*corrupt` when the
  // decoder reports an error. Returns false when decoding stopped early.
  bool ReceiveFrames(bool* corrupt) {
    while (true) {
      int rc = avcodec_receive_frame(decoder_.get(), frame_.get());
      if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return true;
      if (rc < 0) {
        *corrupt = true;
        last_decode_error_ = rc;
        return true;
      }
      if (!decoded_any_frame_) {
        decoded_any_frame_ = true;
        result_.source_sample_rate = frame_->sample_rate;
        result_.source_channels = frame_->ch_layout.nb_channels;
        result_.start_seconds = FrameStartSeconds();
        if (!DeliverSilence(result_.start_seconds)) {
          av_frame_unref(frame_.get());
          return false;
        }
      }
      bool more = Deliver(resampler_.Convert(*frame_));
      av_frame_unref(frame_.get());
      if (!more) return false;
    }
  }

  // Returns the time of the current frame from the start of the
  // presentation, or 0 when it is unknown or not trusted.
  double FrameStartSeconds() const {
    if (frame_->best_effort_timestamp == AV_NOPTS_VALUE) return 0;
    double seconds = StreamSeconds(*stream_, frame_->best_effort_timestamp) -
                     PresentationStartSeconds(*format_).value_or(0.0);
    double limit = format_->duration > 0 ? static_cast<double>(format_->duration) / AV_TIME_BASE
                                         : kMaxLeadingSilenceSeconds;
    if (seconds > limit) {
      spdlog::debug(
          "audio: '{}' starts {:.3f} s into the presentation, beyond the limit of {:.3f} s "
          "(the duration or kMaxLeadingSilenceSeconds), so the offset is ignored",
          path_.string(), seconds, limit);
      return 0;
    }
    return std::max(seconds, 0.0);
  }

  // Passes `seconds` of zero samples to the sink, in blocks. Returns false
  // when decoding must stop.
  bool DeliverSilence(double seconds) {
    constexpr int64_t kBlockSamples = 8192;
    int64_t remaining = std::llround(seconds * options_.sample_rate);
    if (remaining <= 0) return true;
    std::vector<float> zeros(static_cast<size_t>(std::min(remaining, kBlockSamples)), 0.0f);
    while (remaining > 0) {
      size_t count = static_cast<size_t>(std::min<int64_t>(remaining, kBlockSamples));
      if (!Deliver(std::span<const float>(zeros.data(), count))) return false;
      remaining -= static_cast<int64_t>(count);
    }
    return true;
  }

  // Passes samples to the sink, cut at max_seconds. Returns false when
  // decoding must stop.
  bool Deliver(std::span<const float> samples) {
    if (samples.empty()) return true;
    bool at_limit = false;
    if (max_samples_ > 0 &&
        result_.sample_count + static_cast<int64_t>(samples.size()) >= max_samples_) {
      samples = samples.first(static_cast<size_t>(max_samples_ - result_.sample_count));
      at_limit = true;
    }
    result_.sample_count += static_cast<int64_t>(samples.size());
    bool more = samples.empty() || sink_(samples);
    if (!more || at_limit) {
      result_.stopped_early = true;
      return false;
    }
    return true;
  }

  void CheckCorruption(bool at_end) {
    int64_t packets = result_.packet_count;
    if (packets == 0) return;
    if (!at_end && packets < kMinPacketsForEarlyCorruptCheck) return;
    double fraction = static_cast<double>(result_.corrupt_packets) / static_cast<double>(packets);
    if (fraction <= options_.max_corrupt_packet_fraction) return;
    throw MediaError(WithDetail(fmt::format(
        "the audio of '{}' is corrupt: {} of {} packets failed to decode ({})", path_.string(),
        result_.corrupt_packets, packets, FfmpegErrorString(last_decode_error_))));
  }

  MediaError NoAudioError() const {
    if (result_.packet_count == 0) {
      std::string reason = read_error_ != 0 ? FfmpegErrorString(read_error_) : "no audio packets";
      return MediaError(WithDetail(
          fmt::format("'{}' contains no audio data ({}); the file may hold only tags or be "
                      "truncated",
                      path_.string(), reason)));
    }
    std::string reason =
        last_decode_error_ != 0 ? FfmpegErrorString(last_decode_error_) : "no samples decoded";
    return MediaError(WithDetail(
        fmt::format("cannot decode the audio of '{}': {} of {} packets failed ({})", path_.string(),
                    result_.corrupt_packets, result_.packet_count, reason)));
  }

  std::string WithDetail(std::string message) const {
    std::string detail = capture_.Text();
    return detail.empty() ? message : message + ": " + detail;
  }

  const std::filesystem::path& path_;
  const AudioDecodeOptions& options_;
  const AudioSink& sink_;
  FfmpegErrorCapture capture_;
  MonoResampler resampler_;
  const int64_t max_samples_;

  FormatContextPtr format_;
  AVStream* stream_ = nullptr;
  CodecContextPtr decoder_;
  PacketPtr packet_;
  FramePtr frame_;
  AudioDecodeResult result_;
  bool decoded_any_frame_ = false;
  int last_decode_error_ = 0;
  int read_error_ = 0;
};

}  // namespace

AudioDecodeResult DecodeAudio(const std::filesystem::path& path, const AudioDecodeOptions& options,
                              const AudioSink& sink) {
  ValidateOptions(options);
  EnsureMediaInitialized();
  AudioStreamDecoder decoder(path, options, sink);
  AudioDecodeResult result = decoder.Run();
  size_t suppressed = 0;
  if (result.corrupt_packets > 0 && corrupt_packet_log_limiter.Allow("corrupt", &suppressed)) {
    spdlog::warn("audio: skipped {} corrupt packets of {} in '{}' ({} similar messages suppressed)",
                 result.corrupt_packets, result.packet_count, path.string(), suppressed);
  }
  return result;
}

}  // namespace msearch::media

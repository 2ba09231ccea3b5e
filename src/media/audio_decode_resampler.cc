#include "media/audio_decode_resampler.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

extern "C" {
#include <libavutil/opt.h>
#include <libavutil/samplefmt.h>
}

#include "media/ffmpeg_log.h"
#include "media/media_error.h"

namespace msearch::media {

MonoResampler::MonoResampler(int output_rate) : output_rate_(output_rate) {}

MonoResampler::~MonoResampler() {
  av_channel_layout_uninit(&frame_layout_);
  av_channel_layout_uninit(&input_layout_);
}

bool MonoResampler::SameInput(const AVFrame& frame) const {
  return context_ != nullptr && frame.format == input_format_ && frame.sample_rate == input_rate_ &&
         av_channel_layout_compare(&frame.ch_layout, &frame_layout_) == 0;
}

void MonoResampler::Configure(const AVFrame& frame) {
  av_channel_layout_uninit(&frame_layout_);
  av_channel_layout_uninit(&input_layout_);
  if (av_channel_layout_copy(&frame_layout_, &frame.ch_layout) < 0) {
    throw MediaError("cannot copy an FFmpeg channel layout: out of memory");
  }
  // Some decoders (PCM in WAV without a channel mask) give only a channel
  // count. libswresample needs a layout to build the mix-down matrix.
  if (frame.ch_layout.order == AV_CHANNEL_ORDER_UNSPEC || frame.ch_layout.nb_channels <= 0) {
    av_channel_layout_default(&input_layout_, std::max(frame.ch_layout.nb_channels, 1));
  } else if (av_channel_layout_copy(&input_layout_, &frame.ch_layout) < 0) {
    throw MediaError("cannot copy an FFmpeg channel layout: out of memory");
  }
  input_format_ = frame.format;
  input_rate_ = frame.sample_rate;

  AVChannelLayout mono{};
  av_channel_layout_default(&mono, 1);
  SwrContext* raw = nullptr;
  int rc =
      swr_alloc_set_opts2(&raw, &mono, AV_SAMPLE_FMT_FLT, output_rate_, &input_layout_,
                          static_cast<AVSampleFormat>(frame.format), frame.sample_rate, 0, nullptr);
  SwrContextPtr context(raw);
  if (rc >= 0) {
    // Without a maximum, float output keeps the mix-down gains unnormalised,
    // so stereo sums to 1.41 x full scale. With 1.0 the channels are averaged.
    av_opt_set_double(context.get(), "rematrix_maxval", 1.0, 0);
    rc = swr_init(context.get());
  }
  if (rc < 0) {
    const char* format_name = av_get_sample_fmt_name(static_cast<AVSampleFormat>(frame.format));
    throw MediaError(fmt::format("cannot resample audio from {} Hz {} with {} channels: {}",
                                 frame.sample_rate, format_name ? format_name : "unknown format",
                                 input_layout_.nb_channels, FfmpegErrorString(rc)));
  }
  context_ = std::move(context);
}

void MonoResampler::ConvertInto(const uint8_t** input, int input_samples) {
  int capacity = swr_get_out_samples(context_.get(), input_samples);
  if (capacity <= 0) return;
  size_t offset = buffer_.size();
  buffer_.resize(offset + static_cast<size_t>(capacity));
  auto* output = reinterpret_cast<uint8_t*>(buffer_.data() + offset);
  int written = swr_convert(context_.get(), &output, capacity, input, input_samples);
  if (written < 0) {
    buffer_.resize(offset);
    throw MediaError(
        fmt::format("libswresample failed to convert audio: {}", FfmpegErrorString(written)));
  }
  buffer_.resize(offset + static_cast<size_t>(written));
  returned_output_ += written;
}

void MonoResampler::Drain() {
  size_t offset = buffer_.size();
  ConvertInto(nullptr, 0);
  auto owed = static_cast<int64_t>(std::llround(expected_output_)) -
              (returned_output_ - static_cast<int64_t>(buffer_.size() - offset));
  size_t keep = static_cast<size_t>(
      std::clamp<int64_t>(owed, 0, static_cast<int64_t>(buffer_.size() - offset)));
  buffer_.resize(offset + keep);
  expected_output_ = 0;
  returned_output_ = 0;
}

std::span<const float> MonoResampler::Convert(const AVFrame& frame) {
  buffer_.clear();
  if (!SameInput(frame)) {
    if (context_ != nullptr) Drain();
    Configure(frame);
  }
  expected_output_ += static_cast<double>(frame.nb_samples) * output_rate_ / frame.sample_rate;
  ConvertInto(const_cast<const uint8_t**>(frame.extended_data), frame.nb_samples);
  return buffer_;
}

std::span<const float> MonoResampler::Flush() {
  buffer_.clear();
  if (context_ != nullptr) Drain();
  return buffer_;
}

}  // namespace msearch::media

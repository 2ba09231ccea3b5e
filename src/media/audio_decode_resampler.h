#pragma once

#include <memory>
#include <span>
#include <vector>

extern "C" {
#include <libavutil/channel_layout.h>
#include <libavutil/frame.h>
#include <libswresample/swresample.h>
}

namespace msearch::media {

struct SwrContextDeleter {
  void operator()(SwrContext* context) const { swr_free(&context); }
};
using SwrContextPtr = std::unique_ptr<SwrContext, SwrContextDeleter>;

// Converts decoded audio frames of any sample format, rate and channel
// layout to mono float at one output rate with libswresample. The input
// format may change between frames (some streams switch rate or layout):
// the resampler is then drained and rebuilt. Not thread-safe.
class MonoResampler {
 public:
  explicit MonoResampler(int output_rate);
  ~MonoResampler();

  MonoResampler(const MonoResampler&) = delete;
  MonoResampler& operator=(const MonoResampler&) = delete;

  // Converts one frame. The span stays valid until the next call. Throws
  // MediaError when libswresample rejects the frame's format.
  std::span<const float> Convert(const AVFrame& frame);

  // Returns the samples still buffered inside the resampler's filter, at
  // the end of the stream. The total output is capped at the converted
  // length of the input (input samples x output rate / input rate), so
  // durations stay exact.
  std::span<const float> Flush();

 private:
  bool SameInput(const AVFrame& frame) const;
  void Configure(const AVFrame& frame);
  // Appends the conversion of `input_samples` samples per channel of
  // `input` to buffer_. A null `input` drains the filter.
  void ConvertInto(const uint8_t** input, int input_samples);
  // Drains the current filter into buffer_, cut at the converted length of
  // the input it received.
  void Drain();

  int output_rate_;
  SwrContextPtr context_;
  int input_format_ = -1;
  int input_rate_ = 0;
  AVChannelLayout frame_layout_{};  // as the frames give it, to detect changes
  AVChannelLayout input_layout_{};  // as libswresample gets it
  std::vector<float> buffer_;
  // Output samples the current filter owes for its input so far, and has
  // returned so far.
  double expected_output_ = 0;
  int64_t returned_output_ = 0;
};

}  // namespace msearch::media

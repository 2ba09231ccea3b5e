#pragma once

#include <optional>
#include <string>

#include "media/ffmpeg_handles.h"

namespace msearch::media {

struct AudioScanResult {
  bool decoded_frame = false;  // at least one audio frame decoded
  std::string error;           // why no frame decoded, when decoded_frame is false
  // Seconds from the first packet's start to the last packet's end. Set only
  // when the whole stream was read.
  std::optional<double> measured_duration;
};

// Decodes the first frame of `stream_index` from the current position of
// `format`. With `measure_duration`, then keeps reading (without decoding)
// to the end of the file and measures the duration from the packets that
// are actually present, which catches headers that promise more audio than
// the file holds.
AudioScanResult ScanAudioStream(AVFormatContext& format, int stream_index, AVCodecContext& decoder,
                                bool measure_duration);

}  // namespace msearch::media

#pragma once

#include <filesystem>

#include "media/audio_decode.h"
#include "media/audio_window.h"

namespace msearch::media {

struct AudioWindowsResult {
  AudioDecodeResult decode;
  int window_count = 0;  // 0 for audio shorter than min_audio_seconds
};

// Decodes the first audio stream of `path` (see DecodeAudio) and passes its
// windows to `callback` as they complete, holding about one window of
// samples in memory. An exception thrown by the callback stops decoding and
// propagates. Throws MediaError as DecodeAudio does, and
// msearch::Error for invalid window options. Thread-safe across calls.
AudioWindowsResult DecodeAudioWindows(const std::filesystem::path& path,
                                      const AudioDecodeOptions& decode_options,
                                      const AudioWindowOptions& window_options,
                                      const AudioWindower::WindowCallback& callback);

}  // namespace msearch::media

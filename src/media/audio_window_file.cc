#include "media/audio_window_file.h"

namespace msearch::media {

AudioWindowsResult DecodeAudioWindows(const std::filesystem::path& path,
                                      const AudioDecodeOptions& decode_options,
                                      const AudioWindowOptions& window_options,
                                      const AudioWindower::WindowCallback& callback) {
  AudioWindower windower(decode_options.sample_rate, window_options, callback);
  AudioWindowsResult result;
  result.decode = DecodeAudio(path, decode_options, [&](std::span<const float> samples) {
    windower.Add(samples);
    return true;
  });
  result.window_count = windower.Finish();
  return result;
}

}  // namespace msearch::media

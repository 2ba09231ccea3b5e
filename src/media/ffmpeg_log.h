#pragma once

#include <string>
#include <vector>

namespace msearch::media {

// Sets the process-wide FFmpeg log callback: messages at warning level and
// above go to spdlog at debug level, and errors are stored for the active
// FfmpegErrorCapture of the logging thread. Called by InitMedia.
void InstallFfmpegLogCallback();

// Collects the FFmpeg error messages logged by the current thread while the
// object lives, because FFmpeg return codes alone ("Invalid data found when
// processing input") do not say what was wrong ("moov atom not found").
// Captures nest: an inner capture hides messages from the outer one. Only
// messages logged on this thread are seen, so decoders must run with one
// thread (as this component configures them).
class FfmpegErrorCapture {
 public:
  FfmpegErrorCapture();
  ~FfmpegErrorCapture();

  FfmpegErrorCapture(const FfmpegErrorCapture&) = delete;
  FfmpegErrorCapture& operator=(const FfmpegErrorCapture&) = delete;

  // The distinct messages seen so far, oldest first, joined with "; ", or an
  // empty string when FFmpeg logged no error.
  std::string Text() const;

  void Add(std::string message);

 private:
  FfmpegErrorCapture* previous_;
  std::vector<std::string> messages_;
};

// Returns FFmpeg's description of an AVERROR code, for example
// "Invalid data found when processing input".
std::string FfmpegErrorString(int error_code);

}  // namespace msearch::media

#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace msearch::media::testing {

// Runs the ffmpeg command-line tool with `arguments` (after "-nostdin
// -hide_banner -loglevel error -y"), without a shell, and waits for it.
// Returns true when it exits with status 0; errors print to stderr.
bool RunFfmpeg(const std::vector<std::string>& arguments);

// Writes `seconds` of a stereo 44.1 kHz WAV to `output` whose channels are
// the ffmpeg aevalsrc expressions `left` and `right` of t. Returns true on
// success.
bool WriteSynthesizedWav(const std::filesystem::path& output, const std::string& left,
                         const std::string& right, double seconds);

}  // namespace msearch::media::testing

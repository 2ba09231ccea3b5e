#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "media/image_pixels.h"
#include "media/video_segment.h"

namespace msearch::media::testing {

// Runs the ffmpeg command-line tool with `arguments` (after "-nostdin -v
// error -y"). Throws std::runtime_error with the command when it fails.
void RunFfmpeg(const std::vector<std::string>& arguments);

// Decodes one frame of `video` at `time_s` with the ffmpeg tool, which
// applies the display matrix rotation itself, scaled to `width` x `height`.
RgbImage FfmpegFrameAt(const std::filesystem::path& video, double time_s, int width, int height);

// Mean absolute difference of two images of the same size, 0..255.
double MeanAbsoluteDifference(const RgbImage& a, const RgbImage& b);

// Returns `image` turned by 180 degrees.
RgbImage Rotated180(const RgbImage& image);

// The mean of each of the three channels.
struct MeanColor {
  double red = 0;
  double green = 0;
  double blue = 0;
};
MeanColor MeanColorOf(const RgbImage& image);

// The inner boundaries of `segments`: every start except the first.
std::vector<double> InnerBoundaries(const std::vector<VideoSegment>& segments);

}  // namespace msearch::media::testing

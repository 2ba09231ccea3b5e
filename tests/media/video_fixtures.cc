#include "media/video_fixtures.h"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include <fmt/format.h>

#include "support/temp_dir.h"

namespace msearch::media::testing {
namespace {

std::string ShellQuote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

}  // namespace

void RunFfmpeg(const std::vector<std::string>& arguments) {
  std::string command = "ffmpeg -nostdin -v error -y";
  for (const std::string& argument : arguments) command += " " + ShellQuote(argument);
  if (std::system(command.c_str()) != 0) {
    throw std::runtime_error("ffmpeg failed: " + command);
  }
}

RgbImage FfmpegFrameAt(const std::filesystem::path& video, double time_s, int width, int height) {
  msearch::testing::TempDir dir;
  std::filesystem::path output = dir / "frame.rgb";
  RunFfmpeg({"-i", video.string(), "-ss", fmt::format("{:.3f}", time_s), "-frames:v", "1", "-vf",
             fmt::format("scale={}:{}", width, height), "-pix_fmt", "rgb24", "-f", "rawvideo",
             output.string()});
  std::ifstream file(output, std::ios::binary);
  RgbImage image;
  image.width = width;
  image.height = height;
  image.rgb.assign(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
  if (image.rgb.size() != static_cast<size_t>(width) * height * 3) {
    throw std::runtime_error(fmt::format("ffmpeg wrote {} bytes for a {}x{} frame of {}",
                                         image.rgb.size(), width, height, video.string()));
  }
  return image;
}

double MeanAbsoluteDifference(const RgbImage& a, const RgbImage& b) {
  if (a.rgb.size() != b.rgb.size() || a.rgb.empty()) return 255;
  double sum = 0;
  for (size_t i = 0; i < a.rgb.size(); ++i) sum += std::abs(a.rgb[i] - b.rgb[i]);
  return sum / static_cast<double>(a.rgb.size());
}

RgbImage Rotated180(const RgbImage& image) {
  RgbImage rotated = image;
  size_t pixels = static_cast<size_t>(image.width) * image.height;
  for (size_t i = 0; i < pixels; ++i) {
    for (size_t c = 0; c < 3; ++c) rotated.rgb[i * 3 + c] = image.rgb[(pixels - 1 - i) * 3 + c];
  }
  return rotated;
}

MeanColor MeanColorOf(const RgbImage& image) {
  MeanColor mean;
  size_t pixels = static_cast<size_t>(image.width) * image.height;
  if (pixels == 0) return mean;
  for (size_t i = 0; i < pixels; ++i) {
    mean.red += image.rgb[i * 3];
    mean.green += image.rgb[i * 3 + 1];
    mean.blue += image.rgb[i * 3 + 2];
  }
  mean.red /= pixels;
  mean.green /= pixels;
  mean.blue /= pixels;
  return mean;
}

std::vector<double> InnerBoundaries(const std::vector<VideoSegment>& segments) {
  std::vector<double> boundaries;
  for (size_t i = 1; i < segments.size(); ++i) boundaries.push_back(segments[i].start_s);
  return boundaries;
}

}  // namespace msearch::media::testing

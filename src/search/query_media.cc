#include "search/query_media.h"

#include <algorithm>
#include <cmath>
#include <string>

#include <fmt/format.h>

#include "media/audio_decode.h"
#include "media/media_error.h"
#include "media/media_kind.h"
#include "media/probe.h"
#include "search/search_errors.h"

namespace msearch::search {
namespace {

// Thrown from the segment callback to stop decoding past the query range.
struct PastRange {};

std::string LowerExtension(const std::filesystem::path& path) {
  std::string extension = path.extension().string();
  for (char& c : extension) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return extension;
}

preprocess::RgbImage ToModelImage(media::RgbImage&& image) {
  preprocess::RgbImage converted;
  converted.width = image.width;
  converted.height = image.height;
  converted.pixels = std::move(image.rgb);
  return converted;
}

}  // namespace

store::MediaInfo ProbeQueryFile(const std::filesystem::path& path) {
  std::string kind = media::KindForExtension(LowerExtension(path)).value_or("video");
  // libavformat picks the demuxer by content, so "video" also reads audio files.
  if (kind == "image") kind = "video";
  try {
    return media::ProbeFile(path, kind);
  } catch (const media::MediaError& error) {
    throw InvalidQueryError(
        fmt::format("the query file cannot be read as audio or video: {}", error.what()));
  }
}

QueryRange ResolveQueryRange(const store::MediaInfo& info, std::optional<double> start_s,
                             std::optional<double> end_s, double max_seconds) {
  QueryRange range;
  range.start_s = start_s.value_or(0.0);
  if (!std::isfinite(range.start_s) || range.start_s < 0) {
    throw InvalidQueryError(
        fmt::format("invalid start_time {}: use seconds from 0 on", range.start_s));
  }
  if (info.duration > 0 && range.start_s >= info.duration) {
    throw InvalidQueryError(
        fmt::format("start_time {} s is at or after the end of the file ({:.2f} s)", range.start_s,
                    info.duration));
  }
  double file_end = info.duration > 0 ? info.duration : range.start_s + max_seconds;
  range.end_s = end_s.value_or(file_end);
  if (!std::isfinite(range.end_s) || range.end_s <= range.start_s) {
    throw InvalidQueryError(fmt::format("invalid end_time {}: it must be after start_time {}",
                                        range.end_s, range.start_s));
  }
  range.end_s = std::min({range.end_s, file_end, range.start_s + max_seconds});
  return range;
}

std::vector<float> DecodeAudioRange(const std::filesystem::path& path, int sample_rate,
                                    const QueryRange& range) {
  const auto first = static_cast<int64_t>(std::floor(range.start_s * sample_rate));
  const auto last = static_cast<int64_t>(std::ceil(range.end_s * sample_rate));
  std::vector<float> samples;
  int64_t position = 0;
  media::AudioDecodeOptions options;
  options.sample_rate = sample_rate;
  options.max_seconds = range.end_s + 1;
  try {
    media::DecodeAudio(path, options, [&](std::span<const float> chunk) {
      int64_t chunk_start = position;
      position += static_cast<int64_t>(chunk.size());
      int64_t from = std::max(first, chunk_start);
      int64_t to = std::min(last, position);
      if (to > from) {
        samples.insert(samples.end(), chunk.begin() + (from - chunk_start),
                       chunk.begin() + (to - chunk_start));
      }
      return position < last;
    });
  } catch (const media::MediaError& error) {
    throw InvalidQueryError(
        fmt::format("the sound of the query cannot be decoded: {}", error.what()));
  }
  return samples;
}

media::AudioFingerprint FingerprintRange(const std::filesystem::path& path,
                                         const QueryRange& range) {
  // 11025 Hz is Chromaprint's own rate (see media::FingerprintAudioFile).
  constexpr int kChromaprintRate = 11025;
  std::vector<float> samples = DecodeAudioRange(path, kChromaprintRate, range);
  media::FingerprintBuilder builder(kChromaprintRate);
  builder.Add(samples);
  return builder.Finish();
}

std::vector<std::vector<preprocess::RgbImage>> QueryVideoFrames(
    const std::filesystem::path& path, const media::SegmentOptions& options,
    const QueryRange& range, size_t max_segments) {
  max_segments = std::max<size_t>(1, max_segments);
  std::vector<std::vector<preprocess::RgbImage>> groups;
  // Keeps at most 2 x max_segments groups while decoding by dropping every
  // second one, so memory stays bounded and the kept groups stay roughly
  // spread out.
  auto thin = [&groups](size_t limit) {
    if (groups.size() <= limit) return;
    std::vector<std::vector<preprocess::RgbImage>> thinned;
    for (size_t i = 0; i < groups.size(); i += 2) thinned.push_back(std::move(groups[i]));
    groups = std::move(thinned);
  };
  try {
    media::SegmentVideo(path, options, {}, [&](media::VideoSegment&& segment) {
      if (segment.start_s >= range.end_s) throw PastRange{};
      if (segment.end_s <= range.start_s) return;
      std::vector<preprocess::RgbImage> inside;
      std::vector<preprocess::RgbImage> outside;
      for (media::TimedFrame& frame : segment.frames) {
        bool in_range = frame.time_s >= range.start_s && frame.time_s < range.end_s;
        (in_range ? inside : outside).push_back(ToModelImage(std::move(frame.image)));
      }
      groups.push_back(inside.empty() ? std::move(outside) : std::move(inside));
      thin(2 * max_segments);
    });
  } catch (const PastRange&) {
    // The rest of the video lies after the range.
  } catch (const media::MediaError& error) {
    throw InvalidQueryError(
        fmt::format("the pictures of the query video cannot be decoded: {}", error.what()));
  }
  std::erase_if(groups, [](const auto& group) { return group.empty(); });
  if (groups.size() > max_segments) {
    std::vector<std::vector<preprocess::RgbImage>> spread;
    for (size_t i = 0; i < max_segments; ++i) {
      spread.push_back(std::move(groups[i * groups.size() / max_segments]));
    }
    groups = std::move(spread);
  }
  return groups;
}

}  // namespace msearch::search

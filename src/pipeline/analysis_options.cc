#include "pipeline/analysis_options.h"

#include <fmt/format.h>

namespace msearch::pipeline {

AnalysisOptions AnalysisOptionsFromConfig(const config::Config& config) {
  const config::MediaConfig& media = config.media;
  AnalysisOptions options;
  options.segments.min_segment_s = media.video.min_segment_s;
  options.segments.max_segment_s = media.video.max_segment_s;
  options.segments.single_segment_max_s = media.video.single_segment_max_s;
  options.segments.frames_per_segment = media.video.frames_per_segment;
  options.segments.frame_short_side = media.video.frame_size;
  options.segments.decode_threads = media.video.decode_threads;
  options.segments.thumbnail_size = media.thumbnail_size;
  options.audio_windows.window_seconds = media.audio.window_s;
  options.audio_windows.hop_seconds = media.audio.hop_s;
  options.audio_windows.min_audio_seconds = media.audio.min_duration_s;
  options.limits.max_image_pixels = int64_t{media.max_image_megapixels} * 1'000'000;
  options.fingerprints = media.audio.fingerprints;
  options.ocr = media.ocr.enabled;
  options.ocr_options.languages = fmt::format("{}", fmt::join(media.ocr.languages, "+"));
  return options;
}

}  // namespace msearch::pipeline

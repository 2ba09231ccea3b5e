#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "config/config.h"
#include "media/audio_window.h"
#include "media/decode_limits.h"
#include "media/ocr.h"
#include "media/video_segment.h"

namespace msearch::pipeline {

// Settings of AnalyzeFile: which parts it extracts and how, taken from the
// media section of the configuration.
struct AnalysisOptions {
  media::SegmentOptions segments;
  media::AudioWindowOptions audio_windows;
  media::DecodeLimits limits;
  bool fingerprints = true;
  bool ocr = true;
  media::OcrOptions ocr_options;
  // Shorter side, in pixels, of the picture OCR and the perceptual hash see
  // of a still image. Larger images shrink on load; smaller ones keep their
  // size.
  int image_analysis_size = 1080;
  // Folder for segment thumbnails; none are written when empty.
  std::filesystem::path thumbnail_dir;
  // Callback that receives each video segment, including its model frames,
  // before the frames are freed. The task worker uses it to pass the frames to
  // the embedding workers. An exception it throws stops the analysis.
  std::function<void(const media::VideoSegment&)> on_video_segment;
};

AnalysisOptions AnalysisOptionsFromConfig(const config::Config& config);

}  // namespace msearch::pipeline

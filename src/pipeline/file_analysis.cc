#include "pipeline/file_analysis.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "media/image_pixels.h"
#include "media/media_error.h"
#include "media/ocr.h"
#include "media/perceptual_hash.h"

namespace msearch::pipeline {
namespace {

// Chromaprint analyses audio at 11025 Hz, so decoding straight to that rate
// saves it a resampling pass. Window times need only the sample count.
constexpr int kAnalysisSampleRate = 11025;

void AnalyzeImage(const std::filesystem::path& path, const AnalysisOptions& options,
                  FileAnalysis* analysis) {
  media::RgbImage image = media::DecodeRgb(path, options.image_analysis_size, options.limits);
  analysis->perceptual_hash = media::PerceptualHash(image);
  if (!options.ocr) return;
  try {
    std::string text = media::RecognizeText(image, options.ocr_options).text;
    if (!text.empty()) {
      store::TextRecord record;
      record.source = "ocr";
      record.text = std::move(text);
      analysis->texts.push_back(std::move(record));
    }
  } catch (const Error& error) {
    analysis->warnings.push_back(fmt::format("text recognition failed: {}", error.what()));
  }
}

void AnalyzeVideo(const std::filesystem::path& path, const AnalysisOptions& options,
                  FileAnalysis* analysis) {
  bool ocr_failed = false;
  auto on_segment = [&](media::VideoSegment&& segment) {
    if (options.on_video_segment) options.on_video_segment(segment);
    store::SegmentRecord record;
    record.track = "video";
    record.index = segment.index;
    record.start_s = segment.start_s;
    record.end_s = segment.end_s;
    record.representative_s = segment.representative_s;
    if (!segment.thumbnail.empty()) record.thumbnail_path = segment.thumbnail.string();
    if (!segment.frames.empty()) {
      // The middle frame stands for the segment in the hash and for OCR.
      const media::RgbImage& middle = segment.frames[segment.frames.size() / 2].image;
      record.perceptual_hash = media::PerceptualHash(middle);
      if (options.ocr && !ocr_failed) {
        try {
          std::string text = media::RecognizeText(middle, options.ocr_options).text;
          if (!text.empty()) {
            store::TextRecord ocr;
            ocr.source = "ocr";
            ocr.start_s = segment.start_s;
            ocr.end_s = segment.end_s;
            ocr.text = std::move(text);
            analysis->texts.push_back(std::move(ocr));
          }
        } catch (const Error& error) {
          // The engine failing once (missing language data) fails every frame.
          ocr_failed = true;
          analysis->warnings.push_back(fmt::format("text recognition failed: {}", error.what()));
        }
      }
    }
    if (record.index == 0) analysis->perceptual_hash = record.perceptual_hash;
    analysis->video_segments.push_back(std::move(record));
  };
  analysis->video = media::SegmentVideo(path, options.segments, options.thumbnail_dir, on_segment);
}

// Decodes the audio track once, feeding the fingerprinter, then plans the
// model windows from the decoded length.
void AnalyzeAudio(const std::filesystem::path& path, const AnalysisOptions& options,
                  FileAnalysis* analysis) {
  std::optional<media::FingerprintBuilder> fingerprinter;
  if (options.fingerprints) fingerprinter.emplace(kAnalysisSampleRate);
  media::AudioDecodeOptions decode;
  decode.sample_rate = kAnalysisSampleRate;
  analysis->audio = media::DecodeAudio(path, decode, [&](std::span<const float> samples) {
    if (fingerprinter) fingerprinter->Add(samples);
    return true;
  });
  if (fingerprinter) analysis->fingerprint = fingerprinter->Finish();

  std::vector<media::AudioWindowSpan> spans = media::PlanAudioWindows(
      analysis->audio->sample_count, analysis->audio->sample_rate, options.audio_windows);
  for (size_t i = 0; i < spans.size(); ++i) {
    store::SegmentRecord window;
    window.track = "audio";
    window.index = static_cast<int>(i);
    window.start_s = spans[i].start_seconds;
    window.end_s = spans[i].end_seconds;
    window.representative_s = (spans[i].start_seconds + spans[i].end_seconds) / 2;
    analysis->audio_windows.push_back(window);
  }
}

}  // namespace

FileAnalysis AnalyzeFile(const std::filesystem::path& path, const store::MediaInfo& info,
                         const AnalysisOptions& options) {
  FileAnalysis analysis;
  if (info.kind == "image") {
    AnalyzeImage(path, options, &analysis);
    return analysis;
  }
  if (info.has_video) AnalyzeVideo(path, options, &analysis);
  if (info.has_audio) {
    try {
      AnalyzeAudio(path, options, &analysis);
    } catch (const Error& error) {
      // Sound is the main content of an audio file; in a video it is a
      // part that may fail alone.
      std::string message = error.what();
      if (message.find(path.string()) == std::string::npos) {
        message = fmt::format("audio of '{}': {}", path.string(), message);
      }
      if (!info.has_video) throw media::MediaError(message);
      analysis.warnings.push_back(fmt::format("audio track: {}", message));
    }
  }
  return analysis;
}

}  // namespace msearch::pipeline

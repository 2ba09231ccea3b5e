#include "pipeline/analysis_json.h"

#include <fmt/format.h>

namespace msearch::pipeline {
namespace {

nlohmann::json SegmentJson(const store::SegmentRecord& segment) {
  nlohmann::json json = {{"index", segment.index},
                         {"start", segment.start_s},
                         {"end", segment.end_s},
                         {"representative", segment.representative_s}};
  if (segment.perceptual_hash) json["perceptual_hash"] = HashHex(*segment.perceptual_hash);
  if (segment.thumbnail_path) json["thumbnail"] = *segment.thumbnail_path;
  return json;
}

}  // namespace

std::string HashHex(uint64_t hash) { return fmt::format("{:016x}", hash); }

nlohmann::json AnalysisToJson(const FileAnalysis& analysis) {
  nlohmann::json json = nlohmann::json::object();
  if (analysis.perceptual_hash) json["perceptual_hash"] = HashHex(*analysis.perceptual_hash);

  if (analysis.video) {
    const media::SegmentationSummary& video = *analysis.video;
    nlohmann::json segments = nlohmann::json::array();
    for (const store::SegmentRecord& segment : analysis.video_segments) {
      segments.push_back(SegmentJson(segment));
    }
    json["video"] = {{"duration", video.duration_s},
                     {"width", video.width},
                     {"height", video.height},
                     {"frames_decoded", video.frames_decoded},
                     {"packets_rejected", video.packets_rejected},
                     {"frames_dropped", video.frames_dropped},
                     {"segments", std::move(segments)}};
  }

  if (analysis.audio) {
    const media::AudioDecodeResult& audio = *analysis.audio;
    nlohmann::json windows = nlohmann::json::array();
    for (const store::SegmentRecord& window : analysis.audio_windows) {
      windows.push_back(
          {{"index", window.index}, {"start", window.start_s}, {"end", window.end_s}});
    }
    json["audio"] = {{"codec", audio.codec},
                     {"duration", audio.duration_seconds},
                     {"source_sample_rate", audio.source_sample_rate},
                     {"source_channels", audio.source_channels},
                     {"corrupt_packets", audio.corrupt_packets},
                     {"windows", std::move(windows)}};
  }

  if (analysis.fingerprint) {
    const media::AudioFingerprint& fingerprint = *analysis.fingerprint;
    json["fingerprint"] = {{"algorithm", fingerprint.algorithm},
                           {"items", fingerprint.items.size()},
                           {"item_seconds", fingerprint.item_seconds},
                           {"duration", fingerprint.DurationSeconds()}};
  }

  nlohmann::json texts = nlohmann::json::array();
  for (const store::TextRecord& text : analysis.texts) {
    nlohmann::json entry = {{"source", text.source}, {"text", text.text}};
    if (text.start_s) entry["start"] = *text.start_s;
    if (text.end_s) entry["end"] = *text.end_s;
    texts.push_back(std::move(entry));
  }
  json["texts"] = std::move(texts);
  json["warnings"] = analysis.warnings;
  return json;
}

}  // namespace msearch::pipeline

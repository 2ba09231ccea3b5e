#include "media/video_segment.h"

#include <deque>
#include <functional>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/error.h"
#include "media/ffmpeg_log.h"
#include "media/frame_scaler.h"
#include "media/init.h"
#include "media/scene_detect.h"
#include "media/video_frame_source.h"
#include "media/video_segment_builder.h"

namespace msearch::media {
namespace {

// A container duration this much longer than the last frame's end (an
// audio track that runs on, rounding in the container) still counts as the
// video's end. A larger difference means a wrong header, and the frames win.
constexpr double kMaxDurationPastLastFrameS = 1.0;

double VideoEnd(const VideoFrameSource& source) {
  double end = source.end_s();
  double container = source.container_duration_s();
  if (container > end && container - end <= kMaxDurationPastLastFrameS) return container;
  return end;
}

SceneDetectOptions CutTests(const SegmentOptions& options) {
  SceneDetectOptions tests;
  tests.threshold = options.cut_threshold;
  tests.ratio = options.cut_ratio;
  return tests;
}

struct WaitingFrame {
  double time_s;
  SourceFrame frame;
};

// Returns a function that produces the model pixels of `frame`, either by
// converting the decoded frame or by moving out the pixels a worker thread
// converted. Returns an empty function when the worker thread converted none.
std::function<RgbImage()> ModelPixels(SourceFrame& frame, FrameRgbConverter& converter) {
  if (frame.model_pixels) return [&frame] { return std::move(*frame.model_pixels); };
  if (frame.frame) return [&frame, &converter] { return converter.Convert(*frame.frame); };
  return {};
}

// Decodes every frame `source` gives, runs scene detection unless the video
// is known to be one segment, and feeds `builder`.
void RunSegmentation(VideoFrameSource& source, const std::filesystem::path& path,
                     const SegmentOptions& options, SegmentBuilder& builder) {
  FrameRgbConverter converter(path, source.geometry(), options.frame_short_side);
  FrameAnalysisScaler analysis(path);
  double known_duration = source.container_duration_s();
  bool detect_cuts = known_duration < 0 || known_duration > options.single_segment_max_s;
  SceneDetector detector(CutTests(options));

  // Frames wait here, in order, until the detector has judged them.
  std::deque<WaitingFrame> waiting;
  auto add_judged = [&](const std::vector<FrameVerdict>& verdicts) {
    for (const FrameVerdict& verdict : verdicts) {
      WaitingFrame judged = std::move(waiting.front());
      waiting.pop_front();
      builder.AddFrame(judged.time_s, verdict.cut, ModelPixels(judged.frame, converter));
    }
  };

  SourceFrame frame;
  while (source.Next(&frame)) {
    double time_s = frame.time_s;
    if (!detect_cuts) {
      builder.AddFrame(time_s, false, ModelPixels(frame, converter));
      continue;
    }
    AnalysisImage image = frame.frame ? analysis.Scale(*frame.frame) : std::move(frame.analysis);
    waiting.push_back(WaitingFrame{time_s, std::move(frame)});
    add_judged(detector.Add(time_s, std::move(image)));
  }
  add_judged(detector.Finish());
}

}  // namespace

void ValidateSegmentOptions(const SegmentOptions& options) {
  auto invalid = [](std::string_view field, auto value, std::string_view rule) {
    return msearch::Error(
        fmt::format("invalid video segment option {} = {}: {}", field, value, rule));
  };
  if (!(options.min_segment_s >= 0)) {
    throw invalid("min_segment_s", options.min_segment_s, "must be 0 or more seconds");
  }
  if (!(options.max_segment_s > 0) || options.max_segment_s < 2 * options.min_segment_s) {
    throw invalid("max_segment_s", options.max_segment_s,
                  "must be positive and at least twice min_segment_s");
  }
  if (!(options.single_segment_max_s >= 0)) {
    throw invalid("single_segment_max_s", options.single_segment_max_s,
                  "must be 0 or more seconds");
  }
  if (options.frames_per_segment < 1 || options.frames_per_segment > 64) {
    throw invalid("frames_per_segment", options.frames_per_segment, "must be 1 to 64");
  }
  if (options.frame_short_side < 16 || options.frame_short_side > 4096) {
    throw invalid("frame_short_side", options.frame_short_side, "must be 16 to 4096 pixels");
  }
  if (!(options.cut_threshold > 0 && options.cut_threshold <= 1)) {
    throw invalid("cut_threshold", options.cut_threshold, "must be above 0 and at most 1");
  }
  if (!(options.cut_ratio >= 1)) {
    throw invalid("cut_ratio", options.cut_ratio, "must be 1 or more");
  }
  if (options.thumbnail_size < 16 || options.thumbnail_size > 4096) {
    throw invalid("thumbnail_size", options.thumbnail_size, "must be 16 to 4096 pixels");
  }
  if (options.decode_threads < 1 || options.decode_threads > 16) {
    throw invalid("decode_threads", options.decode_threads, "must be 1 to 16");
  }
  if (options.parallel_min_pixels < 0) {
    throw invalid("parallel_min_pixels", options.parallel_min_pixels, "must be 0 or more");
  }
}

SegmentationSummary SegmentVideo(const std::filesystem::path& path, const SegmentOptions& options,
                                 const std::filesystem::path& thumbnail_dir,
                                 const SegmentCallback& on_segment) {
  ValidateSegmentOptions(options);
  EnsureMediaInitialized();
  FfmpegErrorCapture capture;

  FastDecodeOptions decode_options;
  decode_options.min_short_side = options.frame_short_side;
  decode_options.skim_quiet_gops = options.skim_quiet_gops;
  decode_options.skim_max_score = 0.5 * options.cut_threshold;
  decode_options.decode_threads = options.decode_threads;
  decode_options.parallel_min_pixels = options.parallel_min_pixels;
  FramePreparation preparation;
  preparation.short_side = options.frame_short_side;
  preparation.cut_tests = CutTests(options);
  preparation.candidate_spacing_s = kInitialCandidateSpacingS;
  auto source = std::make_unique<VideoFrameSource>(path, decode_options, preparation);
  SegmentBuilder builder(options, path, thumbnail_dir, on_segment);
  RunSegmentation(*source, path, options, builder);
  if (source->frames_decoded() == 0) {
    // Some streams mark every frame as unreferenced, so decode them all
    // before calling the video undecodable.
    spdlog::debug(
        "media: no frame of '{}' decoded while skipping unreferenced frames; retrying "
        "with every frame",
        path.string());
    decode_options.skip_non_reference = false;
    decode_options.skim_quiet_gops = false;
    source.reset();
    source = std::make_unique<VideoFrameSource>(path, decode_options, preparation);
    RunSegmentation(*source, path, options, builder);
  }
  if (source->frames_decoded() == 0) {
    std::string detail = capture.Text();
    if (detail.empty()) detail = source->worker_ffmpeg_errors();
    throw MediaError(fmt::format(
        "cannot segment '{}': no video frame decodes ({} packets rejected, {} frames with "
        "errors){}; the video data is corrupt or truncated",
        path.string(), source->packets_rejected(), source->frames_dropped(),
        detail.empty() ? "" : " (" + detail + ")"));
  }

  builder.Finish(VideoEnd(*source));
  SegmentationSummary summary;
  summary.duration_s = VideoEnd(*source);
  summary.segment_count = builder.delivered();
  summary.width = source->display_width();
  summary.height = source->display_height();
  summary.frames_decoded = source->frames_decoded();
  summary.packets_rejected = source->packets_rejected();
  summary.frames_dropped = source->frames_dropped();
  summary.gops_skimmed = source->gops_skimmed();
  summary.decode_threads = source->decode_threads();
  if (summary.packets_rejected > 0 || summary.frames_dropped > 0) {
    spdlog::info("media: segmented '{}' despite {} corrupt packets and {} damaged frames",
                 path.string(), summary.packets_rejected, summary.frames_dropped);
  }
  spdlog::debug("media: segmented '{}': {} segments over {:.2f} s from {} decoded frames",
                path.string(), summary.segment_count, summary.duration_s, summary.frames_decoded);
  return summary;
}

std::vector<VideoSegment> SegmentVideoToList(const std::filesystem::path& path,
                                             const SegmentOptions& options,
                                             const std::filesystem::path& thumbnail_dir) {
  std::vector<VideoSegment> segments;
  SegmentVideo(path, options, thumbnail_dir,
               [&segments](VideoSegment&& segment) { segments.push_back(std::move(segment)); });
  return segments;
}

}  // namespace msearch::media

#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <vector>

#include "media/frame_reservoir.h"
#include "media/image_pixels.h"
#include "media/media_error.h"

namespace msearch::media {

struct SegmentOptions {
  // A scene cut starts a new segment only when the current segment is at
  // least this long, in seconds, so very short shots join the shot before.
  // The last segment joins the one before when it is shorter than this.
  double min_segment_s = 1.0;
  // Segments are never longer than this, in seconds, except where no frame
  // was decoded for longer. A longer shot is cut into pieces of this length
  // as it plays, and its last two pieces share the rest evenly, so each
  // piece is at least about half this long. Must be at least twice
  // min_segment_s.
  double max_segment_s = 30.0;
  // A video this long or shorter, in seconds, is one segment.
  double single_segment_max_s = 6.0;
  // Frames per segment given to the embedding model, evenly spread.
  int frames_per_segment = 4;
  // Shorter side of those frames in pixels, after rotation.
  int frame_short_side = 224;
  // Minimum scene score (0..1) of a cut; see SceneDetectOptions::threshold.
  double cut_threshold = 0.15;
  // A cut must also score this many times the median of the recent scores.
  double cut_ratio = 3.0;
  // Key frame skim. A GOP is a key frame and the frames up to the next one.
  // A GOP of at most 2 s whose key frame looks like the next key frame
  // (scene score at most half of cut_threshold) is represented by its key
  // frame alone instead of being decoded. On the generated 1 s GOP
  // video of segment_bench this is 2 to 3 times faster. Files with longer
  // GOPs are decoded in full either way. A shot that starts and ends
  // within one such GOP, with the picture returning to the one before, is
  // missed.
  bool skim_quiet_gops = true;
  // Maximum longest side of the JPEG thumbnail of each segment, in pixels.
  // The thumbnail is made from the model frame and is never larger than it.
  int thumbnail_size = 320;
  // Threads that decode GOPs in parallel, for video of at least
  // parallel_min_pixels pixels per frame. 1 decodes on the calling thread
  // only. Single-threaded decoding of 1080p H.264 is the slowest step of
  // segmentation (segment_bench). Worker threads convert frames to model
  // pixels before the cuts are known, so they convert a few more frames.
  int decode_threads = 2;
  int64_t parallel_min_pixels = 1280 * 720;
};

// One stretch of a video, as delivered to a SegmentCallback. Times are in
// seconds from the start of the presentation (PresentationStartSeconds), the
// timeline DecodeAudio places the soundtrack on. The first segment starts at
// 0 even when the first frame comes later.
struct VideoSegment {
  int index = 0;  // 0, 1, 2, ... in time order
  double start_s = 0;
  double end_s = 0;  // the next segment's start; the video's end for the last
  // Time of the frame the thumbnail shows: the decoded frame nearest the
  // middle of the segment.
  double representative_s = 0;
  // SegmentOptions::frames_per_segment frames, upright 8-bit RGB with the
  // shorter side SegmentOptions::frame_short_side, nearest to the times
  // start + (k + 0.5) * length / count. A frame repeats when the segment
  // has fewer decoded frames than that.
  std::vector<TimedFrame> frames;
  // The JPEG thumbnail of the representative frame, or empty when no
  // thumbnail folder was given.
  std::filesystem::path thumbnail;
};

// Receives each segment as soon as it is final. An exception it throws
// stops the segmentation and propagates to the caller of SegmentVideo.
using SegmentCallback = std::function<void(VideoSegment&&)>;

// Facts about a segmented video.
struct SegmentationSummary {
  double duration_s = 0;  // end of the last segment
  int segment_count = 0;
  int width = 0;  // displayed size, after rotation and sample aspect ratio
  int height = 0;
  int64_t frames_decoded = 0;
  int64_t packets_rejected = 0;  // corrupt packets the decoder rejected
  int64_t frames_dropped = 0;    // frames decoded with errors, left out
  int64_t gops_skimmed = 0;      // GOPs represented by their key frame alone
  int decode_threads = 0;        // threads that decoded GOPs, 0 for the calling thread alone
};

// Splits the first video stream of `path` into segments at scene cuts, as
// SegmentOptions describes, and calls `on_segment` for each in time order.
// Frames are decoded one at a time and only the candidate frames of the
// current and previous segment are kept, so memory does not grow with the
// length of the video.
//
// For speed the decoder skips the deblocking filter and the frames that no
// other frame references (most B-frames). It decodes at reduced resolution
// where the codec supports it (MPEG-4 Part 2, MJPEG) while the model frames
// keep at least frame_short_side pixels, and it skims quiet GOPs (see
// SegmentOptions::skim_quiet_gops). Scene scores therefore come from every
// decoded frame, not every frame of the stream. Large video decodes on
// SegmentOptions::decode_threads threads, a GOP each. Times come from frame
// timestamps, so variable frame rate video is timed correctly, and a frame
// without one is placed after the previous frame.
//
// When `thumbnail_dir` is not empty, a JPEG of each segment's representative
// frame is written there (the folder is created if missing) as
// segment_NNNN.jpg, NNNN being the index from 0000.
//
// Throws MediaError naming the file when it cannot be opened, has no video
// stream, or no frame decodes. Corrupt packets in between are skipped and
// counted. Throws msearch::Error when `options` are invalid. Thread-safe
// across calls: files may be segmented in parallel. `on_segment` is called
// on the calling thread.
SegmentationSummary SegmentVideo(const std::filesystem::path& path, const SegmentOptions& options,
                                 const std::filesystem::path& thumbnail_dir,
                                 const SegmentCallback& on_segment);

// Runs SegmentVideo and returns the segments in a vector.
std::vector<VideoSegment> SegmentVideoToList(const std::filesystem::path& path,
                                             const SegmentOptions& options,
                                             const std::filesystem::path& thumbnail_dir = {});

// Throws msearch::Error naming the first invalid field of `options`.
void ValidateSegmentOptions(const SegmentOptions& options);

}  // namespace msearch::media

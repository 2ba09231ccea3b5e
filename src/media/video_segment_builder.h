#pragma once

#include <deque>
#include <filesystem>
#include <functional>
#include <optional>
#include <vector>

#include "media/frame_reservoir.h"
#include "media/video_segment.h"

namespace msearch::media {

// Spacing of candidate model frames while a segment is young, in seconds.
// Converting a frame to model pixels costs more than scoring it, so
// candidates are sparser than frames.
inline constexpr double kInitialCandidateSpacingS = 0.5;

// Turns a stream of frame times and cut verdicts into segments under the
// rules of SegmentOptions, keeps candidate model frames for each, and
// delivers each segment once no later frame can change it. Segment ends are
// frame times, so every segment starts with a decoded frame.
//
// The last closed segment is held back until the next one closes, because
// the end of the video or of a long shot may merge or re-split it. Nothing
// is delivered until the video is longer than single_segment_max_s. Not
// thread-safe.
class SegmentBuilder {
 public:
  SegmentBuilder(const SegmentOptions& options, const std::filesystem::path& source,
                 const std::filesystem::path& thumbnail_dir, const SegmentCallback& on_segment);

  // Adds the next frame, at `time_s` (non-decreasing). `cut` is true when the
  // frame starts a new shot. `convert` returns the frame's model pixels and is
  // called only for frames kept as candidates. An empty `convert` means the
  // frame has no model pixels, and it is never a candidate.
  void AddFrame(double time_s, bool cut, const std::function<RgbImage()>& convert);

  // Ends the last segment at `end_s` and delivers every segment left.
  void Finish(double end_s);

  int delivered() const { return next_index_; }

 private:
  struct Piece {
    double start_s = 0;
    double end_s = 0;
    bool continues_shot = false;  // started by a max_segment_s split
    FrameReservoir reservoir;
    std::vector<double> frame_times;  // kept only while the piece may re-split
  };

  Piece NewPiece(double start_s, bool continues_shot) const;
  void SplitOpen(double boundary_s, bool continues_shot);
  void Close(Piece piece, bool ends_shot);
  void SplitEvenly(Piece merged);
  void DeliverReady();
  void Deliver(Piece piece);

  SegmentOptions options_;
  std::filesystem::path source_;
  std::filesystem::path thumbnail_dir_;
  SegmentCallback on_segment_;
  std::optional<Piece> open_;
  std::deque<Piece> closed_;
  double last_time_s_ = 0;
  int next_index_ = 0;
};

}  // namespace msearch::media

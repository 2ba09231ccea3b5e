#pragma once

#include <cstddef>
#include <vector>

#include "media/image_pixels.h"

namespace msearch::media {

// A decoded, converted frame of a video and its presentation time.
struct TimedFrame {
  double time_s = 0;
  RgbImage image;
};

// Candidate frames of a segment whose end is not known yet, kept at roughly
// even spacing in bounded memory. Frames are offered in time order; one is
// kept when it is at least `spacing` after the last kept frame. When more
// than `capacity` are kept, every second one is dropped and the spacing
// doubles, so the kept frames stay spread over the whole segment however
// long it grows. Not thread-safe.
class FrameReservoir {
 public:
  FrameReservoir(size_t capacity, double initial_spacing_s);

  // True when a frame at `time_s` would be kept, so that callers convert
  // only the frames kept.
  bool Wants(double time_s) const;

  // Keeps `frame` (taken at a time Wants accepted).
  void Add(TimedFrame frame);

  // Moves the frames at or after `time_s` into a new reservoir with this
  // one's capacity and initial spacing.
  FrameReservoir SplitAt(double time_s);

  // Appends the frames of `later`, which all come after this one's, and
  // thins the result to the capacity.
  void Append(FrameReservoir&& later);

  // Returns `count` frames for the segment [start_s, end_s): for each of
  // the times start + (k + 0.5) * length / count, the kept frame nearest to
  // it, preferring frames inside the segment. A frame repeats when fewer
  // than `count` frames were kept. Returns nothing when none were kept.
  std::vector<TimedFrame> Pick(double start_s, double end_s, int count) const;

  // Returns the kept frame nearest to `time_s`, preferring frames in
  // [start_s, end_s), or nullptr when none were kept.
  const TimedFrame* Nearest(double time_s, double start_s, double end_s) const;

  bool empty() const { return frames_.empty(); }
  size_t size() const { return frames_.size(); }

 private:
  void Thin();

  size_t capacity_;
  double initial_spacing_s_;
  double spacing_s_;
  std::vector<TimedFrame> frames_;
};

}  // namespace msearch::media

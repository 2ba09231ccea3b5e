#include "media/frame_reservoir.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace msearch::media {

FrameReservoir::FrameReservoir(size_t capacity, double initial_spacing_s)
    : capacity_(std::max<size_t>(2, capacity)),
      initial_spacing_s_(std::max(0.0, initial_spacing_s)),
      spacing_s_(initial_spacing_s_) {}

bool FrameReservoir::Wants(double time_s) const {
  return frames_.empty() || time_s >= frames_.back().time_s + spacing_s_;
}

void FrameReservoir::Add(TimedFrame frame) {
  frames_.push_back(std::move(frame));
  if (frames_.size() > capacity_) Thin();
}

void FrameReservoir::Thin() {
  // Keeps the even positions, so the first frame (the segment start) stays.
  size_t write_index = 0;
  for (size_t i = 0; i < frames_.size(); i += 2) frames_[write_index++] = std::move(frames_[i]);
  frames_.resize(write_index);
  spacing_s_ = std::max(spacing_s_, initial_spacing_s_) * 2;
  if (spacing_s_ <= 0) spacing_s_ = std::numeric_limits<double>::min();
}

FrameReservoir FrameReservoir::SplitAt(double time_s) {
  FrameReservoir later(capacity_, initial_spacing_s_);
  auto first_later =
      std::find_if(frames_.begin(), frames_.end(),
                   [time_s](const TimedFrame& frame) { return frame.time_s >= time_s; });
  for (auto it = first_later; it != frames_.end(); ++it) later.frames_.push_back(std::move(*it));
  frames_.erase(first_later, frames_.end());
  return later;
}

void FrameReservoir::Append(FrameReservoir&& later) {
  for (TimedFrame& frame : later.frames_) frames_.push_back(std::move(frame));
  later.frames_.clear();
  spacing_s_ = std::max(spacing_s_, later.spacing_s_);
  while (frames_.size() > capacity_) Thin();
}

const TimedFrame* FrameReservoir::Nearest(double time_s, double start_s, double end_s) const {
  const TimedFrame* best_inside = nullptr;
  const TimedFrame* best_any = nullptr;
  for (const TimedFrame& frame : frames_) {
    double distance = std::abs(frame.time_s - time_s);
    if (best_any == nullptr || distance < std::abs(best_any->time_s - time_s)) best_any = &frame;
    bool inside = frame.time_s >= start_s && frame.time_s < end_s;
    if (inside && (best_inside == nullptr || distance < std::abs(best_inside->time_s - time_s))) {
      best_inside = &frame;
    }
  }
  return best_inside != nullptr ? best_inside : best_any;
}

std::vector<TimedFrame> FrameReservoir::Pick(double start_s, double end_s, int count) const {
  std::vector<TimedFrame> picked;
  if (frames_.empty() || count <= 0) return picked;
  double length = std::max(0.0, end_s - start_s);
  for (int k = 0; k < count; ++k) {
    double target = start_s + (k + 0.5) * length / count;
    picked.push_back(*Nearest(target, start_s, end_s));
  }
  return picked;
}

}  // namespace msearch::media

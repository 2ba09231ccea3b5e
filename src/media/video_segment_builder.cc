#include "media/video_segment_builder.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <vips/vips8>

#include "media/init.h"
#include "media/jpeg_output.h"
#include "media/media_error.h"
#include "media/vips_error.h"

namespace msearch::media {
namespace {

// Candidate frames kept per segment, as a multiple of the frames picked, so
// the picked frames land near their evenly spread target times.
constexpr size_t kCandidatesPerPickedFrame = 4;

void WriteSegmentThumbnail(const RgbImage& frame, int max_size, const std::filesystem::path& source,
                           const std::filesystem::path& output) {
  EnsureMediaInitialized();
  ClearStaleVipsErrors();
  try {
    // new_from_memory does not copy: `frame` outlives every use of `image`.
    vips::VImage image =
        vips::VImage::new_from_memory(const_cast<uint8_t*>(frame.rgb.data()), frame.rgb.size(),
                                      frame.width, frame.height, 3, VIPS_FORMAT_UCHAR)
            .copy(vips::VImage::option()->set("interpretation", VIPS_INTERPRETATION_sRGB));
    image = image.thumbnail_image(
        max_size, vips::VImage::option()->set("height", max_size)->set("size", VIPS_SIZE_DOWN));
    WriteThumbnailJpeg(image, source, output);
  } catch (const vips::VError& error) {
    throw MediaError(fmt::format("cannot make the segment thumbnail '{}' of '{}': {}",
                                 output.string(), source.string(), TakeVipsErrorText(error)));
  }
}

}  // namespace

SegmentBuilder::SegmentBuilder(const SegmentOptions& options, const std::filesystem::path& source,
                               const std::filesystem::path& thumbnail_dir,
                               const SegmentCallback& on_segment)
    : options_(options), source_(source), thumbnail_dir_(thumbnail_dir), on_segment_(on_segment) {}

SegmentBuilder::Piece SegmentBuilder::NewPiece(double start_s, bool continues_shot) const {
  size_t capacity =
      kCandidatesPerPickedFrame * static_cast<size_t>(std::max(1, options_.frames_per_segment));
  return Piece{
      start_s, start_s, continues_shot, FrameReservoir(capacity, kInitialCandidateSpacingS), {}};
}

void SegmentBuilder::AddFrame(double time_s, bool cut, const std::function<RgbImage()>& convert) {
  if (!open_) open_.emplace(NewPiece(0.0, false));
  time_s = std::max(time_s, last_time_s_);

  double length = time_s - open_->start_s;
  if (cut && length >= options_.min_segment_s) {
    SplitOpen(time_s, false);
  } else if (length > options_.max_segment_s) {
    // The frame no longer fits, so the piece ends at the previous frame,
    // unless no frame came in between (a gap longer than the maximum).
    double boundary = last_time_s_ > open_->start_s ? last_time_s_ : time_s;
    SplitOpen(boundary, true);
  }

  if (convert && open_->reservoir.Wants(time_s)) {
    open_->reservoir.Add(TimedFrame{time_s, convert()});
  }
  open_->frame_times.push_back(time_s);
  last_time_s_ = time_s;
  DeliverReady();
}

void SegmentBuilder::SplitOpen(double boundary_s, bool continues_shot) {
  Piece next = NewPiece(boundary_s, continues_shot);
  next.reservoir = open_->reservoir.SplitAt(boundary_s);
  auto first_later =
      std::lower_bound(open_->frame_times.begin(), open_->frame_times.end(), boundary_s);
  next.frame_times.assign(first_later, open_->frame_times.end());
  open_->frame_times.erase(first_later, open_->frame_times.end());
  open_->end_s = boundary_s;

  Piece closing = std::move(*open_);
  open_ = std::move(next);
  // A cut ends the shot. A max_segment_s split does not, so the closed piece
  // stays whole until the shot ends.
  Close(std::move(closing), !continues_shot);
}

void SegmentBuilder::Close(Piece piece, bool ends_shot) {
  bool merge_with_previous =
      !closed_.empty() &&
      ((ends_shot && piece.continues_shot) || piece.end_s - piece.start_s < options_.min_segment_s);
  if (merge_with_previous) {
    Piece merged = std::move(closed_.back());
    closed_.pop_back();
    merged.end_s = piece.end_s;
    merged.reservoir.Append(std::move(piece.reservoir));
    merged.frame_times.insert(merged.frame_times.end(), piece.frame_times.begin(),
                              piece.frame_times.end());
    piece = std::move(merged);
  } else if (!closed_.empty()) {
    closed_.back().frame_times.clear();
  }

  // A merged piece, or the last one once the last frame's duration is
  // added, can exceed the maximum.
  if (piece.end_s - piece.start_s > options_.max_segment_s) {
    SplitEvenly(std::move(piece));
  } else {
    closed_.push_back(std::move(piece));
  }
}

void SegmentBuilder::SplitEvenly(Piece merged) {
  double middle = 0.5 * (merged.start_s + merged.end_s);
  auto fits = [&](double boundary) {
    return boundary > merged.start_s && boundary < merged.end_s &&
           boundary - merged.start_s <= options_.max_segment_s &&
           merged.end_s - boundary <= options_.max_segment_s;
  };

  // A boundary at a candidate frame gives the second half a frame of its own
  // at its start. Any frame time near the middle is the fallback.
  double boundary = std::numeric_limits<double>::quiet_NaN();
  const TimedFrame* candidate = merged.reservoir.Nearest(middle, middle, merged.end_s);
  if (candidate != nullptr && fits(candidate->time_s)) boundary = candidate->time_s;
  if (std::isnan(boundary)) {
    for (double time : merged.frame_times) {
      if (fits(time) &&
          (std::isnan(boundary) || std::abs(time - middle) < std::abs(boundary - middle))) {
        boundary = time;
      }
    }
  }
  if (std::isnan(boundary)) boundary = middle;

  Piece second = NewPiece(boundary, false);
  second.end_s = merged.end_s;
  second.reservoir = merged.reservoir.SplitAt(boundary);
  merged.end_s = boundary;
  // Each half needs a frame. When all candidates fell into one half, the
  // other borrows the nearest one.
  if (second.reservoir.empty() && !merged.reservoir.empty()) {
    second.reservoir.Add(*merged.reservoir.Nearest(boundary, boundary, second.end_s));
  } else if (merged.reservoir.empty() && !second.reservoir.empty()) {
    merged.reservoir.Add(*second.reservoir.Nearest(boundary, merged.start_s, boundary));
  }
  auto first_later =
      std::lower_bound(merged.frame_times.begin(), merged.frame_times.end(), boundary);
  second.frame_times.assign(first_later, merged.frame_times.end());
  merged.frame_times.clear();
  closed_.push_back(std::move(merged));
  closed_.push_back(std::move(second));
}

void SegmentBuilder::Finish(double end_s) {
  if (!open_) return;
  open_->end_s = std::max(end_s, last_time_s_);
  Piece last = std::move(*open_);
  open_.reset();
  Close(std::move(last), true);

  if (closed_.back().end_s <= options_.single_segment_max_s) {
    while (closed_.size() > 1) {
      Piece later = std::move(closed_.back());
      closed_.pop_back();
      closed_.back().end_s = later.end_s;
      closed_.back().reservoir.Append(std::move(later.reservoir));
    }
  }
  while (!closed_.empty()) {
    Piece piece = std::move(closed_.front());
    closed_.pop_front();
    Deliver(std::move(piece));
  }
}

void SegmentBuilder::DeliverReady() {
  if (last_time_s_ <= options_.single_segment_max_s) return;
  while (closed_.size() > 1) {
    Piece piece = std::move(closed_.front());
    closed_.pop_front();
    Deliver(std::move(piece));
  }
}

void SegmentBuilder::Deliver(Piece piece) {
  VideoSegment segment;
  segment.index = next_index_++;
  segment.start_s = piece.start_s;
  segment.end_s = piece.end_s;
  segment.frames = piece.reservoir.Pick(piece.start_s, piece.end_s, options_.frames_per_segment);

  double middle = 0.5 * (piece.start_s + piece.end_s);
  const TimedFrame* representative = piece.reservoir.Nearest(middle, piece.start_s, piece.end_s);
  if (representative != nullptr) {
    segment.representative_s = representative->time_s;
    if (!thumbnail_dir_.empty()) {
      segment.thumbnail = thumbnail_dir_ / fmt::format("segment_{:04d}.jpg", segment.index);
      try {
        WriteSegmentThumbnail(representative->image, options_.thumbnail_size, source_,
                              segment.thumbnail);
      } catch (const MediaError& error) {
        // A full or read-only thumbnail folder is no fault of the video,
        // so the segment stays, without its preview.
        spdlog::warn("segment {} of '{}' has no thumbnail: {}", segment.index, source_.string(),
                     error.what());
        segment.thumbnail.clear();
      }
    }
  } else {
    segment.representative_s = middle;
  }
  on_segment_(std::move(segment));
}

}  // namespace msearch::media

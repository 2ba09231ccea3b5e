#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "media/fast_decoder.h"
#include "media/ffmpeg_handles.h"
#include "media/frame_scaler.h"
#include "media/image_pixels.h"
#include "media/scene_detect.h"

namespace msearch::media {

// Settings for the reduction of decoded frames on worker threads, which
// lets the frames of a GOP wait for the GOPs before them without keeping
// full pictures.
struct FramePreparation {
  int short_side = 224;  // shorter side of the model pixels, in pixels (FrameRgbConverter)
  // A frame gets model pixels in three cases. It could start a shot: it
  // passes the threshold and ratio tests of cut_tests against the frames
  // before it in its GOP. It starts its GOP. Or the last frame with model
  // pixels is at least candidate_spacing_s seconds earlier.
  SceneDetectOptions cut_tests;
  double candidate_spacing_s = 0.5;
};

// A frame decoded and reduced on a worker thread.
struct PreparedFrame {
  int64_t timestamp = AV_NOPTS_VALUE;  // best effort, in the stream's time base
  int64_t duration = 0;                // in the stream's time base, 0 when unknown
  AnalysisImage analysis;
  std::optional<RgbImage> model_pixels;
};

// The packets of one GOP and, once a worker has decoded them, its frames in
// presentation order. Frames can be taken while the worker still decodes.
class GopJob {
 public:
  explicit GopJob(std::vector<PacketPtr> packets) : packets_(std::move(packets)) {}

  enum class Poll { kFrame, kPending, kDone };
  // Moves the next frame into `*frame` (kFrame), or returns kPending while
  // the worker may still add frames, or kDone when it finished and every
  // frame was taken. Rethrows an exception the worker caught.
  Poll Take(PreparedFrame* frame);
  // Blocks until a batch of frames is ready or the job is done.
  void Wait();

  // Counters, final once Take returned kDone.
  int64_t frames_decoded() const { return frames_decoded_; }
  int64_t frames_dropped() const { return frames_dropped_; }
  int64_t packets_rejected() const { return packets_rejected_; }
  // FFmpeg error messages logged while the job was decoded.
  const std::string& ffmpeg_errors() const { return ffmpeg_errors_; }

 private:
  friend class GopDecoderPool;

  void Add(PreparedFrame frame);
  void Finish(std::exception_ptr error, const std::string& ffmpeg_errors);

  std::vector<PacketPtr> packets_;  // read by the worker only
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<PreparedFrame> frames_;
  bool done_ = false;
  std::exception_ptr error_;
  int64_t frames_decoded_ = 0;
  int64_t frames_dropped_ = 0;
  int64_t packets_rejected_ = 0;
  std::string ffmpeg_errors_;
};

// Worker threads that each decode whole GOPs with a decoder of their own
// and prepare their frames (FramePreparation). A GOP that starts with a key
// frame decodes without the frames before it, so GOPs decode in parallel.
// Frames that depend on an earlier GOP (the leading pictures of an open
// GOP) fail to decode and are dropped.
//
// Call Submit, the destructor and the consumer methods of GopJob (Take,
// Wait) from one thread.
class GopDecoderPool {
 public:
  // Starts `threads` workers for `stream`, which must outlive the pool, and
  // whose frames show upright with `geometry`. Throws MediaError when the
  // decoder cannot be opened.
  GopDecoderPool(const std::filesystem::path& path, const AVStream& stream,
                 const FastDecodeOptions& decode_options, const FrameGeometry& geometry,
                 const FramePreparation& preparation, int threads);
  // Stops the workers: a GOP being decoded stops at its next packet.
  ~GopDecoderPool();

  GopDecoderPool(const GopDecoderPool&) = delete;
  GopDecoderPool& operator=(const GopDecoderPool&) = delete;

  // Queues `job` for the next free worker.
  void Submit(const std::shared_ptr<GopJob>& job);

  int threads() const { return static_cast<int>(workers_.size()); }

 private:
  struct Worker;
  void Run(Worker* worker);

  std::filesystem::path path_;
  const AVStream& stream_;
  FramePreparation preparation_;
  std::mutex mutex_;
  std::condition_variable queued_;
  std::deque<std::shared_ptr<GopJob>> queue_;
  bool stopping_ = false;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
};

}  // namespace msearch::media

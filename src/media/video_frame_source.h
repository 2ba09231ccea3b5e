#pragma once

#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "media/fast_decoder.h"
#include "media/ffmpeg_handles.h"
#include "media/frame_scaler.h"
#include "media/gop_decoder.h"
#include "media/scene_detect.h"

namespace msearch::media {

// A frame VideoFrameSource returns.
struct SourceFrame {
  double time_s = 0;
  // The decoded picture, or null for a frame decoded on a worker thread,
  // which comes reduced to the two fields below.
  FramePtr frame;
  AnalysisImage analysis;  // empty when `frame` is set
  // Set for the frames of a worker thread that FramePreparation picks.
  std::optional<RgbImage> model_pixels;
};

// Decodes the first video stream of a file frame by frame, with the
// deblocking filter skipped, and with the key frame skim of
// FastDecodeOptions when it is on. Corrupt packets and frames decoded with
// errors are skipped and counted. Times are seconds from the start of the
// presentation (PresentationStartSeconds, else the first frame's timestamp)
// and never decrease. A frame without a timestamp is placed at the previous
// frame's end, and one with a timestamp before the previous frame's at the
// previous frame's time.
//
// With FastDecodeOptions::decode_threads above 1 and frames of at least
// parallel_min_pixels, GOPs that are decoded in full go to a
// GopDecoderPool, whose threads decode several at once and return their
// frames reduced as `preparation` sets. Frames still come in presentation
// order. A GOP larger than the buffer limit, and the packets before the
// first key frame, decode on the calling thread. Not thread-safe.
class VideoFrameSource {
 public:
  // Throws MediaError naming the file when it cannot be opened, has no video
  // stream, or no decoder for it.
  VideoFrameSource(const std::filesystem::path& path, const FastDecodeOptions& options,
                   const FramePreparation& preparation = {});
  ~VideoFrameSource();

  // Moves the next frame into `*frame` and returns true, or returns false at
  // the end of the stream. Rethrows the MediaError of a worker thread.
  bool Next(SourceFrame* frame);

  FrameGeometry geometry() const { return geometry_; }
  // The size of the stream as displayed: sample aspect ratio and rotation
  // applied, at full resolution.
  int display_width() const { return display_width_; }
  int display_height() const { return display_height_; }
  // The stream's duration from the container, or a negative value when the
  // container has none.
  double container_duration_s() const { return container_duration_s_; }
  // The end of the last frame decoded or packet read so far: its time plus
  // its duration.
  double end_s() const;
  // Number of threads that decode GOPs in parallel, or 0 when every frame
  // decodes on the calling thread.
  int decode_threads() const { return pool_ ? pool_->threads() : 0; }

  int64_t frames_decoded() const { return frames_decoded_; }
  int64_t packets_rejected() const { return packets_rejected_; }
  int64_t frames_dropped() const { return frames_dropped_; }
  // GOPs represented by their key frame alone.
  int64_t gops_skimmed() const { return gops_skimmed_; }
  // FFmpeg error messages of the worker threads, for error reports.
  const std::string& worker_ffmpeg_errors() const { return worker_ffmpeg_errors_; }

 private:
  // A decoded frame, or a GOP a worker thread decodes, in stream order.
  struct Slot {
    FramePtr frame;
    std::shared_ptr<GopJob> job;
  };

  double FrameTime(int64_t timestamp, int64_t duration);
  void NotePacket(const AVPacket& packet);
  // Reads the next packet of the stream into packet_; false at the end.
  bool ReadPacket();
  // Sends a packet (nullptr: end of stream) to the main decoder and queues
  // the frames it returns.
  void SendToDecoder(const AVPacket* packet);
  void ReceiveFrames();
  // Takes every frame still in the main decoder and resets it.
  void DrainDecoder();
  void QueueFrame(FramePtr frame);
  void Step();
  void StepPlain();
  // Counts the job's frames once it is done.
  void FinishJob(const GopJob& job);

  // GOP buffering for the key frame skim and the worker threads, in
  // video_frame_source_gops.cc.
  void StepGops();
  FramePtr DecodeKeyFrame(const AVPacket& packet);
  void CloseGop(const AVFrame* next_key_frame, const AnalysisImage& next_key_image);
  void StreamGop();
  void SubmitGop();

  std::filesystem::path path_;
  FormatContextPtr format_;
  int stream_index_ = -1;
  const AVStream* stream_ = nullptr;
  FastDecodeOptions options_;
  CodecContextPtr decoder_;
  bool decoder_fed_ = false;  // packets sent since the last drain
  PacketPtr packet_;
  std::deque<Slot> ready_;  // frames and GOP jobs not yet returned
  int jobs_queued_ = 0;     // slots of ready_ that contain a job
  FrameGeometry geometry_;
  int display_width_ = 0;
  int display_height_ = 0;
  double container_duration_s_ = -1;
  double default_frame_interval_s_ = 0.04;
  int64_t origin_ = AV_NOPTS_VALUE;  // stream timestamp of time 0
  double last_time_s_ = -1;
  double last_duration_s_ = 0;
  int64_t last_packet_end_ = AV_NOPTS_VALUE;  // in stream time base units
  bool finished_ = false;
  int64_t frames_decoded_ = 0;
  int64_t packets_rejected_ = 0;
  int64_t frames_dropped_ = 0;
  int64_t gops_skimmed_ = 0;
  std::string worker_ffmpeg_errors_;

  // GOP state: the GOP being read.
  std::unique_ptr<GopDecoderPool> pool_;
  CodecContextPtr key_decoder_;
  std::unique_ptr<FrameAnalysisScaler> key_scaler_;
  std::vector<PacketPtr> gop_packets_;
  size_t gop_bytes_ = 0;
  int64_t gop_key_timestamp_ = AV_NOPTS_VALUE;
  bool gop_has_key_packet_ = false;  // the GOP starts with a key packet
  FramePtr gop_key_frame_;
  AnalysisImage gop_key_image_;
  // The GOP may be skimmed: it is short enough and its key frame decoded.
  bool gop_skimmable_ = false;
  // The GOP is too large to hold, or has no key packet, so its packets go
  // straight to the main decoder.
  bool gop_streaming_ = false;
};

}  // namespace msearch::media

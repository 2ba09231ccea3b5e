#pragma once

#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <vector>

#include "media/ffmpeg_handles.h"
#include "media/frame_scaler.h"
#include "media/scene_detect.h"

namespace msearch::media {

// Decoder shortcuts VideoFrameSource applies.
struct FastDecodeOptions {
  // Skip frames that no other frame references (most B-frames).
  bool skip_non_reference = true;
  // Decode at reduced resolution where the codec supports it, while the
  // shorter side stays at least this many pixels; 0 turns it off.
  int min_short_side = 0;
  // Key frame skim. A GOP is a key frame and the frames up to the next one.
  // When a GOP lasts at most skim_max_gop_s seconds and its key frame scores
  // at most skim_max_score (SceneScore) against the next key frame, the key
  // frame alone stands for the GOP. Only the other GOPs are decoded in full.
  // NOTE: a shot that starts and ends inside one skimmed GOP (a cutaway
  // shorter than the GOP, after which the picture returns) is missed.
  bool skim_quiet_gops = false;
  double skim_max_score = 0.075;
  double skim_max_gop_s = 2.0;
};

// Decodes the first video stream of a file frame by frame, with one decoder
// thread and the deblocking filter skipped, and with the key frame skim of
// FastDecodeOptions when it is on. Corrupt packets and frames decoded with
// errors are skipped and counted. Times are seconds from the stream's start
// and never decrease. A frame without a timestamp is placed at the previous
// frame's end, and one with a timestamp before the previous frame's at the
// previous frame's time. Not thread-safe.
class VideoFrameSource {
 public:
  // Throws MediaError naming the file when it cannot be opened, has no video
  // stream, or no decoder for it.
  VideoFrameSource(const std::filesystem::path& path, const FastDecodeOptions& options);

  // Returns the next frame and sets `*time_s`, or returns nullptr at the end
  // of the stream.
  FramePtr Next(double* time_s);

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

  int64_t frames_decoded() const { return frames_decoded_; }
  int64_t packets_rejected() const { return packets_rejected_; }
  int64_t frames_dropped() const { return frames_dropped_; }
  // GOPs represented by their key frame alone.
  int64_t gops_skimmed() const { return gops_skimmed_; }

 private:
  double FrameTime(const AVFrame& frame);
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
  void StepPlain();

  // Key frame skim, in video_frame_source_skim.cc.
  void StepSkim();
  FramePtr DecodeKeyFrame(const AVPacket& packet);
  void CloseGop(const AVFrame* next_key_frame, const AnalysisImage& next_key_image);
  void StreamGop();

  std::filesystem::path path_;
  FormatContextPtr format_;
  int stream_index_ = -1;
  const AVStream* stream_ = nullptr;
  FastDecodeOptions options_;
  CodecContextPtr decoder_;
  bool decoder_fed_ = false;  // packets sent since the last drain
  PacketPtr packet_;
  std::deque<FramePtr> ready_;  // decoded frames not yet returned
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

  // Key frame skim state: the GOP being read.
  CodecContextPtr key_decoder_;
  std::unique_ptr<FrameAnalysisScaler> key_scaler_;
  std::vector<PacketPtr> gop_packets_;
  size_t gop_bytes_ = 0;
  int64_t gop_key_timestamp_ = AV_NOPTS_VALUE;
  FramePtr gop_key_frame_;
  AnalysisImage gop_key_image_;
  // The GOP is too long or too large to hold, or has no usable key frame,
  // so its packets go straight to the main decoder.
  bool gop_streaming_ = false;
};

}  // namespace msearch::media

// The key frame skim of VideoFrameSource. Packets are buffered one GOP at a
// time, and a second decoder decodes each key frame on its own. A GOP is
// decoded in full only when its key frame differs from the next one.

#include <spdlog/spdlog.h>

#include "media/av_open.h"
#include "media/media_error.h"
#include "media/video_frame_source.h"

namespace msearch::media {
namespace {

// Compressed bytes of one GOP held back before it is decoded anyway.
constexpr size_t kMaxGopBytes = 64 * 1024 * 1024;

int64_t PacketTimestamp(const AVPacket& packet) {
  return packet.pts != AV_NOPTS_VALUE ? packet.pts : packet.dts;
}

}  // namespace

FramePtr VideoFrameSource::DecodeKeyFrame(const AVPacket& packet) {
  // The key decoder gets one packet and is then drained, because a decoder
  // that reorders frames delays its output until later packets or the end of
  // the stream arrive.
  FramePtr frame;
  avcodec_send_packet(key_decoder_.get(), &packet);
  avcodec_send_packet(key_decoder_.get(), nullptr);
  while (true) {
    FramePtr received(av_frame_alloc());
    if (!received) throw MediaError("cannot allocate an FFmpeg frame: out of memory");
    if (avcodec_receive_frame(key_decoder_.get(), received.get()) != 0) break;
    bool damaged =
        (received->flags & AV_FRAME_FLAG_CORRUPT) != 0 || received->decode_error_flags != 0;
    if (!frame && !damaged) frame = std::move(received);
  }
  avcodec_flush_buffers(key_decoder_.get());
  return frame;
}

void VideoFrameSource::StreamGop() {
  for (PacketPtr& packet : gop_packets_) SendToDecoder(packet.get());
  gop_packets_.clear();
  gop_bytes_ = 0;
  gop_key_frame_.reset();
  gop_streaming_ = true;
}

void VideoFrameSource::CloseGop(const AVFrame* next_key_frame,
                                const AnalysisImage& next_key_image) {
  bool quiet = !gop_streaming_ && gop_key_frame_ && next_key_frame != nullptr &&
               SceneScore(gop_key_image_, next_key_image) <= options_.skim_max_score;
  // In intra-only video (MJPEG, PNG, ProRes) every GOP is its key frame,
  // which is decoded already.
  bool key_frame_only = !gop_streaming_ && gop_key_frame_ && gop_packets_.size() == 1;
  if (quiet || key_frame_only) {
    // Frames of earlier GOPs still in the decoder come first.
    DrainDecoder();
    QueueFrame(std::move(gop_key_frame_));
    if (quiet) ++gops_skimmed_;
  } else if (!gop_streaming_) {
    for (PacketPtr& packet : gop_packets_) SendToDecoder(packet.get());
  }
  gop_packets_.clear();
  gop_bytes_ = 0;
  gop_key_frame_.reset();
  gop_key_image_.clear();
  gop_streaming_ = false;
}

void VideoFrameSource::StepSkim() {
  if (!ReadPacket()) {
    // Nothing follows the last GOP to compare it with, so it is decoded.
    CloseGop(nullptr, {});
    DrainDecoder();
    finished_ = true;
    return;
  }

  if ((packet_->flags & AV_PKT_FLAG_KEY) != 0) {
    FramePtr key_frame = DecodeKeyFrame(*packet_);
    AnalysisImage key_image;
    if (key_frame) key_image = key_scaler_->Scale(*key_frame);
    CloseGop(key_frame.get(), key_image);
    gop_key_frame_ = std::move(key_frame);
    gop_key_image_ = std::move(key_image);
    gop_key_timestamp_ = PacketTimestamp(*packet_);
  } else if (gop_streaming_) {
    SendToDecoder(packet_.get());
    av_packet_unref(packet_.get());
    return;
  }

  PacketPtr held(av_packet_alloc());
  if (!held) throw MediaError("cannot allocate an FFmpeg packet: out of memory");
  av_packet_move_ref(held.get(), packet_.get());
  gop_bytes_ += static_cast<size_t>(std::max(0, held->size));
  int64_t timestamp = PacketTimestamp(*held);
  gop_packets_.push_back(std::move(held));

  // Packet counts stand in for time in streams without timestamps.
  bool too_long =
      (timestamp != AV_NOPTS_VALUE && gop_key_timestamp_ != AV_NOPTS_VALUE &&
       StreamSeconds(*stream_, timestamp - gop_key_timestamp_) > options_.skim_max_gop_s) ||
      static_cast<double>(gop_packets_.size()) >
          options_.skim_max_gop_s / default_frame_interval_s_ + 1;
  if (!gop_key_frame_ || too_long || gop_bytes_ > kMaxGopBytes) StreamGop();
}

}  // namespace msearch::media

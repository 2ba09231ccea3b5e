// GOP buffering of VideoFrameSource, for the key frame skim and the worker
// threads. Packets are buffered one GOP at a time. For the skim, a second
// decoder decodes each key frame on its own, and a GOP is decoded in full
// only when its key frame differs from the next one. A GOP decoded in full
// goes to the worker threads when there are any.

#include <spdlog/spdlog.h>

#include "media/av_open.h"
#include "media/media_error.h"
#include "media/video_frame_source.h"

namespace msearch::media {
namespace {

// Maximum compressed bytes of one buffered GOP. A larger GOP is decoded
// without waiting for its end.
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
  gop_skimmable_ = false;
  gop_streaming_ = true;
}

void VideoFrameSource::SubmitGop() {
  // Frames of earlier GOPs still in the main decoder come first.
  DrainDecoder();
  auto job = std::make_shared<GopJob>(std::move(gop_packets_));
  gop_packets_.clear();
  ready_.push_back(Slot{nullptr, job});
  ++jobs_queued_;
  pool_->Submit(job);
}

void VideoFrameSource::CloseGop(const AVFrame* next_key_frame,
                                const AnalysisImage& next_key_image) {
  bool quiet = !gop_streaming_ && gop_skimmable_ && gop_key_frame_ && next_key_frame != nullptr &&
               SceneScore(gop_key_image_, next_key_image) <= options_.skim_max_score;
  // In intra-only video (MJPEG, PNG, ProRes) every GOP is its key frame,
  // which is decoded already.
  bool key_frame_only = !gop_streaming_ && gop_key_frame_ && gop_packets_.size() == 1;
  if (quiet || key_frame_only) {
    // Frames of earlier GOPs still in the decoder come first.
    DrainDecoder();
    QueueFrame(std::move(gop_key_frame_));
    if (quiet) ++gops_skimmed_;
  } else if (!gop_streaming_ && !gop_packets_.empty()) {
    if (pool_) {
      SubmitGop();
    } else {
      for (PacketPtr& packet : gop_packets_) SendToDecoder(packet.get());
    }
  }
  gop_packets_.clear();
  gop_bytes_ = 0;
  gop_key_frame_.reset();
  gop_key_image_.clear();
  gop_has_key_packet_ = false;
  gop_skimmable_ = false;
  gop_streaming_ = false;
}

void VideoFrameSource::StepGops() {
  if (!ReadPacket()) {
    // Nothing follows the last GOP to compare it with, so it is decoded.
    CloseGop(nullptr, {});
    DrainDecoder();
    finished_ = true;
    return;
  }

  if ((packet_->flags & AV_PKT_FLAG_KEY) != 0) {
    FramePtr key_frame;
    AnalysisImage key_image;
    if (options_.skim_quiet_gops) {
      key_frame = DecodeKeyFrame(*packet_);
      if (key_frame) key_image = key_scaler_->Scale(*key_frame);
    }
    CloseGop(key_frame.get(), key_image);
    gop_key_frame_ = std::move(key_frame);
    gop_key_image_ = std::move(key_image);
    gop_key_timestamp_ = PacketTimestamp(*packet_);
    gop_has_key_packet_ = true;
    gop_skimmable_ = gop_key_frame_ != nullptr;
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

  // The packet count also limits the GOP, for streams without timestamps.
  bool too_long =
      (timestamp != AV_NOPTS_VALUE && gop_key_timestamp_ != AV_NOPTS_VALUE &&
       StreamSeconds(*stream_, timestamp - gop_key_timestamp_) > options_.skim_max_gop_s) ||
      static_cast<double>(gop_packets_.size()) >
          options_.skim_max_gop_s / default_frame_interval_s_ + 1;
  if (too_long) gop_skimmable_ = false;
  // Worker threads take any GOP that starts with a key packet. Without
  // them, only a GOP that may be skimmed waits for its end.
  bool hold = pool_ ? gop_has_key_packet_ : gop_skimmable_;
  if (!hold || gop_bytes_ > kMaxGopBytes) StreamGop();
}

}  // namespace msearch::media

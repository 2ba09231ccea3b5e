#include "media/gop_decoder.h"

#include <algorithm>

#include "media/av_open.h"
#include "media/ffmpeg_log.h"
#include "media/media_error.h"

namespace msearch::media {
namespace {

// Maximum consecutive errors from avcodec_receive_frame before the frames
// still in the decoder are given up. VideoFrameSource uses the same limit.
constexpr int kMaxReceiveErrors = 64;

// Frames a job collects before it wakes a waiting consumer. Waking it for
// every frame costs a context switch per frame, which on a busy machine
// means waiting for a time slice each time.
constexpr size_t kFramesPerWakeUp = 32;

double Median(const std::deque<double>& values) {
  std::vector<double> sorted(values.begin(), values.end());
  auto middle = sorted.begin() + static_cast<std::ptrdiff_t>(sorted.size() / 2);
  std::nth_element(sorted.begin(), middle, sorted.end());
  return *middle;
}

}  // namespace

GopJob::Poll GopJob::Take(PreparedFrame* frame) {
  std::lock_guard lock(mutex_);
  if (!frames_.empty()) {
    *frame = std::move(frames_.front());
    frames_.pop_front();
    return Poll::kFrame;
  }
  if (!done_) return Poll::kPending;
  if (error_) std::rethrow_exception(error_);
  return Poll::kDone;
}

void GopJob::Wait() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [this] { return frames_.size() >= kFramesPerWakeUp || done_; });
}

void GopJob::Add(PreparedFrame frame) {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    frames_.push_back(std::move(frame));
    wake = frames_.size() == kFramesPerWakeUp;
  }
  if (wake) changed_.notify_all();
}

void GopJob::Finish(std::exception_ptr error, const std::string& ffmpeg_errors) {
  {
    std::lock_guard lock(mutex_);
    done_ = true;
    error_ = std::move(error);
    ffmpeg_errors_ = ffmpeg_errors;
  }
  changed_.notify_all();
}

// The decoder and scalers of one worker thread, and the state of the GOP it
// decodes.
struct GopDecoderPool::Worker {
  Worker(const std::filesystem::path& path, const AVStream& stream,
         const FastDecodeOptions& options, const FrameGeometry& geometry, int short_side)
      : decoder(OpenFastDecoder(stream, path, options)),
        frame(av_frame_alloc()),
        analysis(path),
        converter(path, geometry, short_side) {
    if (!frame) throw MediaError("cannot allocate an FFmpeg frame: out of memory");
  }

  CodecContextPtr decoder;
  FramePtr frame;
  FrameAnalysisScaler analysis;
  FrameRgbConverter converter;

  // Per GOP.
  GopJob* job = nullptr;
  std::optional<AnalysisImage> previous;
  std::deque<double> recent_scores;
  double time_s = 0;
  double last_model_time_s = 0;
};

GopDecoderPool::GopDecoderPool(const std::filesystem::path& path, const AVStream& stream,
                               const FastDecodeOptions& decode_options,
                               const FrameGeometry& geometry, const FramePreparation& preparation,
                               int threads)
    : path_(path), stream_(stream), preparation_(preparation) {
  for (int i = 0; i < threads; ++i) {
    workers_.push_back(
        std::make_unique<Worker>(path, stream, decode_options, geometry, preparation.short_side));
  }
  for (const std::unique_ptr<Worker>& worker : workers_) {
    threads_.emplace_back([this, worker = worker.get()] { Run(worker); });
  }
}

GopDecoderPool::~GopDecoderPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  queued_.notify_all();
  for (std::thread& thread : threads_) thread.join();
}

void GopDecoderPool::Submit(const std::shared_ptr<GopJob>& job) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(job);
  }
  queued_.notify_one();
}

namespace {

// Sends one packet (nullptr: end of stream) and prepares every frame the
// decoder returns. `prepare` is called with the worker's frame.
template <typename Prepare>
void DecodePacket(AVCodecContext& decoder, AVFrame& frame, const AVPacket* packet,
                  int64_t* packets_rejected, const Prepare& prepare) {
  auto receive = [&] {
    int errors = 0;
    while (true) {
      int rc = avcodec_receive_frame(&decoder, &frame);
      if (rc == 0) {
        prepare();
        av_frame_unref(&frame);
        continue;
      }
      if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return;
      ++*packets_rejected;
      if (++errors >= kMaxReceiveErrors) return;
    }
  };
  int rc = avcodec_send_packet(&decoder, packet);
  if (rc == AVERROR(EAGAIN)) {
    receive();
    rc = avcodec_send_packet(&decoder, packet);
  }
  if (rc < 0 && rc != AVERROR(EAGAIN) && rc != AVERROR_EOF) ++*packets_rejected;
  receive();
}

}  // namespace

void GopDecoderPool::Run(Worker* worker) {
  while (true) {
    std::shared_ptr<GopJob> job;
    {
      std::unique_lock lock(mutex_);
      queued_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }

    FfmpegErrorCapture capture;
    std::exception_ptr error;
    worker->previous.reset();
    worker->recent_scores.clear();
    worker->time_s = 0;
    worker->last_model_time_s = 0;
    auto prepare = [&] {
      const AVFrame& frame = *worker->frame;
      if ((frame.flags & AV_FRAME_FLAG_CORRUPT) != 0 || frame.decode_error_flags != 0) {
        ++job->frames_dropped_;
        return;
      }
      ++job->frames_decoded_;
      PreparedFrame prepared;
      prepared.timestamp = frame.best_effort_timestamp;
      prepared.duration = std::max<int64_t>(0, frame.pkt_duration);
      prepared.analysis = worker->analysis.Scale(frame);

      // These times only space the frames that get model pixels.
      // VideoFrameSource computes the segment times itself.
      if (prepared.timestamp != AV_NOPTS_VALUE) {
        worker->time_s = StreamSeconds(stream_, prepared.timestamp);
      }
      bool candidate = !worker->previous;
      if (worker->previous) {
        const SceneDetectOptions& tests = preparation_.cut_tests;
        double score = SceneScore(*worker->previous, prepared.analysis);
        bool history_full = static_cast<int>(worker->recent_scores.size()) >= tests.history;
        candidate = score >= tests.threshold &&
                    (!history_full || score >= tests.ratio * Median(worker->recent_scores));
        worker->recent_scores.push_back(score);
        while (static_cast<int>(worker->recent_scores.size()) > std::max(1, tests.history)) {
          worker->recent_scores.pop_front();
        }
      }
      if (worker->time_s >= worker->last_model_time_s + preparation_.candidate_spacing_s) {
        candidate = true;
      }
      if (candidate) {
        prepared.model_pixels = worker->converter.Convert(frame);
        worker->last_model_time_s = worker->time_s;
      }
      worker->previous = prepared.analysis;
      if (prepared.timestamp == AV_NOPTS_VALUE && prepared.duration > 0) {
        worker->time_s += StreamSeconds(stream_, prepared.duration);
      }
      job->Add(std::move(prepared));
    };

    try {
      for (const PacketPtr& packet : job->packets_) {
        {
          std::lock_guard lock(mutex_);
          if (stopping_) break;
        }
        DecodePacket(*worker->decoder, *worker->frame, packet.get(), &job->packets_rejected_,
                     prepare);
      }
      DecodePacket(*worker->decoder, *worker->frame, nullptr, &job->packets_rejected_, prepare);
    } catch (...) {
      error = std::current_exception();
    }
    avcodec_flush_buffers(worker->decoder.get());
    av_frame_unref(worker->frame.get());
    job->packets_.clear();
    job->Finish(error, capture.Text());
  }
}

}  // namespace msearch::media

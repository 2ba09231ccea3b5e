#include "runtime/embed_video.h"

#include <cmath>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include "common/clock.h"
#include "common/logging.h"
#include "ipc/protocol.h"
#include "media/media_error.h"
#include "media/video_segment.h"
#include "pipeline/analysis_options.h"
#include "runtime/frame_block.h"
#include "runtime/frame_handoff.h"
#include "runtime/segment_vectors.h"
#include "runtime/task_executor.h"
#include "runtime/task_progress.h"
#include "store/embedding_store.h"
#include "store/extraction_store.h"

namespace msearch::runtime {
namespace {

// Maximum difference in seconds between segment times that count as equal.
// Times written by the same code round-trip exactly through SQLite and JSON,
// so the tolerance only absorbs formatting.
constexpr double kTimeTolerance = 1e-6;

// Exception thrown from the segmentation callback to stop decoding, once
// every needed segment is decoded or the task no longer belongs to this worker.
struct StopDecoding {};

LogRateLimiter& BlockLogLimiter() {
  static LogRateLimiter limiter(5, std::chrono::seconds(60));
  return limiter;
}

bool SameTimes(const store::SegmentRecord& stored, double start_s, double end_s) {
  return std::abs(stored.start_s - start_s) <= kTimeTolerance &&
         std::abs(stored.end_s - end_s) <= kTimeTolerance;
}

preprocess::RgbImage ToPreprocessImage(media::RgbImage&& image) {
  preprocess::RgbImage out;
  out.width = image.width;
  out.height = image.height;
  out.pixels = std::move(image.rgb);
  return out;
}

bool FileUnchanged(const store::FileRecord& file) {
  struct stat info {};
  if (stat(file.path.c_str(), &info) != 0) return false;
  int64_t mtime_ns = static_cast<int64_t>(info.st_mtim.tv_sec) * 1000000000 + info.st_mtim.tv_nsec;
  return static_cast<uint64_t>(info.st_size) == file.size && mtime_ns == file.mtime_ns;
}

// Embedding of one video's segments, from the frame blocks and, for segments
// without a block, from the file.
class VideoEmbedding {
 public:
  VideoEmbedding(const VideoEmbedJob& job, const queue::ClaimedTask& task,
                 const store::FileRecord& file, std::vector<store::SegmentRecord> segments)
      : job_(job),
        task_(task),
        file_(file),
        segments_(std::move(segments)),
        builder_(job.encoder, job.batch_size),
        progress_(job.queue, job.session, task.id) {
    for (const store::SegmentRecord& segment : segments_) by_index_[segment.index] = &segment;
  }

  // Embeds the frames of block `name` if it matches the file, the model and
  // the stored segments. Returns false when the task no longer belongs to
  // this worker.
  bool UseBlock(const std::string& name) {
    std::optional<FrameBlock> block;
    try {
      block.emplace(FrameBlock::Open(name));
    } catch (const Error& error) {
      // The block is missing or damaged. It is missing when its creator died
      // before the task was queued, or when the sweep removed it after a long wait.
      LogBlockProblem(name, error.what());
      return true;
    }
    FrameBlockKey expected{file_.id, file_.size, file_.mtime_ns, job_.space};
    if (block->key() != expected) {
      LogBlockProblem(name, "it was created for another version of the file or another model");
      return true;
    }
    std::set<int> segments;
    for (const FrameBlock::Entry& frame : block->frames()) {
      auto stored = by_index_.find(frame.segment_index);
      if (stored == by_index_.end() ||
          !SameTimes(*stored->second, frame.segment_start_s, frame.segment_end_s)) {
        LogBlockProblem(
            name, fmt::format("segment {} differs from the stored analysis", frame.segment_index));
        return true;
      }
      if (builder_.Has(frame.segment_index) && !segments.contains(frame.segment_index)) {
        LogBlockProblem(
            name, fmt::format("segment {} was already in an earlier block", frame.segment_index));
        return true;
      }
      segments.insert(frame.segment_index);
    }
    for (const FrameBlock::Entry& frame : block->frames()) {
      builder_.Add(frame.segment_index, block->Image(frame));
    }
    from_blocks_ += static_cast<int>(segments.size());
    return progress_.Report(Done());
  }

  // Decodes the frames of the segments that no block covered. Returns false
  // when the task no longer belongs to this worker. Throws TaskFailure when
  // the file cannot be decoded or its segments differ from its stored analysis.
  bool DecodeRest() {
    std::map<int, const store::SegmentRecord*> needed;
    for (const store::SegmentRecord& segment : segments_) {
      if (!builder_.Has(segment.index)) needed[segment.index] = &segment;
    }
    if (needed.empty()) return true;
    decoded_ = static_cast<int>(needed.size());
    spdlog::info("{}: decoding the frames of {} of {} segment(s) of '{}'",
                 job_.session.identity().process_id, needed.size(), segments_.size(), file_.path);
    media::SegmentOptions options = pipeline::AnalysisOptionsFromConfig(job_.config).segments;
    const double duration = segments_.back().end_s;
    bool ours = true;
    try {
      media::SegmentVideo(file_.path, options, {}, [&](media::VideoSegment&& segment) {
        auto stored = needed.find(segment.index);
        if (stored == needed.end()) return;
        if (!SameTimes(*stored->second, segment.start_s, segment.end_s)) {
          throw TaskFailure(
              fmt::format("the segments of '{}' differ from its stored analysis (segment {} is "
                          "{:.3f}-{:.3f} s, stored {:.3f}-{:.3f} s). The media.video settings "
                          "probably changed since it was analysed. Run 'msearch index DIR' again",
                          file_.path, segment.index, segment.start_s, segment.end_s,
                          stored->second->start_s, stored->second->end_s),
              false);
        }
        for (media::TimedFrame& frame : segment.frames) {
          builder_.Add(segment.index, ToPreprocessImage(std::move(frame.image)));
        }
        needed.erase(stored);
        ours = progress_.Report(duration > 0 ? segment.end_s / duration : 0);
        if (!ours || needed.empty()) throw StopDecoding{};
      });
    } catch (const StopDecoding&) {
    } catch (const media::MediaError& error) {
      throw TaskFailure(error.what(), false);
    }
    if (ours && !needed.empty()) {
      throw TaskFailure(fmt::format("segment {} of '{}' was not found when its frames were decoded "
                                    "again. The media.video settings probably changed since it "
                                    "was analysed. Run 'msearch index DIR' again",
                                    needed.begin()->first, file_.path),
                        false);
    }
    return ours;
  }

  // Stores the segment vectors and returns the task's result.
  nlohmann::json Store(double started) {
    builder_.Flush();
    std::map<int, std::vector<float>> vectors = builder_.Vectors();
    std::vector<store::NewEmbedding> embeddings;
    for (const store::SegmentRecord& segment : segments_) {
      auto vector = vectors.find(segment.index);
      if (vector == vectors.end()) continue;
      embeddings.push_back({segment.id, std::move(vector->second)});
    }
    store::EmbeddingStore(job_.catalog.database())
        .ReplaceFileVectors(file_.id, job_.space, embeddings);
    return {{"space", job_.space},
            {"segments", embeddings.size()},
            {"from_blocks", from_blocks_},
            {"decoded", decoded_},
            {"frames", builder_.frames_encoded()},
            {"seconds", MonotonicSeconds() - started}};
  }

 private:
  double Done() const {
    return segments_.empty() ? 0 : static_cast<double>(from_blocks_) / segments_.size();
  }

  void LogBlockProblem(const std::string& name, const std::string& problem) {
    size_t suppressed = 0;
    if (BlockLogLimiter().Allow("block", &suppressed)) {
      spdlog::info(
          "{}: task {} does not use shared buffer {}: {}. Its frames are decoded again ({} "
          "similar messages suppressed)",
          job_.session.identity().process_id, task_.id, name, problem, suppressed);
    }
  }

  const VideoEmbedJob& job_;
  const queue::ClaimedTask& task_;
  const store::FileRecord& file_;
  std::vector<store::SegmentRecord> segments_;
  std::map<int, const store::SegmentRecord*> by_index_;
  SegmentVectorBuilder builder_;
  TaskProgress progress_;
  int from_blocks_ = 0;
  int decoded_ = 0;
};

}  // namespace

void EmbedVideo(const VideoEmbedJob& job, const queue::ClaimedTask& task) {
  const std::string& worker_id = job.session.worker_id();
  const std::string& process_id = job.session.identity().process_id;
  const std::vector<std::string> blocks = FrameBlocksOf(task.data);
  double started = MonotonicSeconds();
  // The blocks are removed once the task is completed or failed, so a
  // retried task decodes its frames again.
  auto done = [&](bool completed, const nlohmann::json& result, const std::string& error,
                  bool retryable) {
    if (completed) {
      job.queue.Complete(task.id, worker_id, result);
    } else {
      job.queue.Fail(task.id, worker_id, error, retryable);
    }
    UnlinkFrameBlocks(blocks);
  };

  int64_t file_id = task.data.value("file_id", int64_t{0});
  std::optional<store::FileRecord> file = job.catalog.FindFile(file_id);
  if (!file || file->kind != "video" || file->status != "indexed") {
    done(true, {{"skipped", "file no longer catalogued as a video"}}, "", false);
    return;
  }
  std::vector<store::SegmentRecord> segments =
      store::ExtractionStore(job.catalog.database()).Segments(file_id, "video");
  if (segments.empty()) {
    done(true, {{"skipped", "the video has no analysed segments"}}, "", false);
    return;
  }

  VideoEmbedding embedding(job, task, *file, std::move(segments));
  try {
    for (const std::string& name : blocks) {
      if (!embedding.UseBlock(name)) return;  // the task no longer belongs to this worker
    }
    // Decoding again is only valid for the content the catalog describes.
    if (!FileUnchanged(*file)) {
      done(true, {{"skipped", "file changed since it was analysed"}}, "", false);
      return;
    }
    if (!embedding.DecodeRest()) return;
  } catch (const TaskFailure& failure) {
    spdlog::warn("{}: embed task {} for file {} ('{}') failed: {}", process_id, task.id, file->uuid,
                 file->path, failure.what());
    done(false, {}, failure.what(), failure.retryable());
    return;
  }

  nlohmann::json result;
  try {
    result = embedding.Store(started);
  } catch (const Error& error) {
    // The file was removed or analysed again while it was embedded. A new
    // analysis queues its own embed task.
    spdlog::info("{}: embed task {} for file {} ('{}') skipped: {}", process_id, task.id,
                 file->uuid, file->path, error.what());
    done(true, {{"skipped", error.what()}}, "", false);
    return;
  }
  done(true, result, "", false);
  job.session.Send(ipc::MakeEvent("vectors_stored", {{"file_id", file_id}, {"space", job.space}}));
  spdlog::debug("{}: embedded {} segment(s) of '{}' ({} from shared memory) in {:.2f} s",
                process_id, result.value("segments", 0), file->path, result.value("from_blocks", 0),
                MonotonicSeconds() - started);
}

}  // namespace msearch::runtime

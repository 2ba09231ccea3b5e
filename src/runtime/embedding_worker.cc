#include "runtime/embedding_worker.h"

#include <algorithm>
#include <memory>
#include <thread>

#include <fmt/format.h>
#include <malloc.h>
#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "embedding/audio_chunks.h"
#include "embedding/encoder.h"
#include "ipc/protocol.h"
#include "media/audio_decode.h"
#include "media/media_error.h"
#include "preprocess/image_decode.h"
#include "queue/task_queue.h"
#include "runtime/embed_video.h"
#include "runtime/model_paths.h"
#include "runtime/queue_options.h"
#include "runtime/resource_limits.h"
#include "runtime/task_progress.h"
#include "runtime/task_types.h"
#include "store/catalog.h"
#include "store/embedding_store.h"
#include "store/extraction_store.h"

namespace msearch::runtime {
namespace {

// How long an idle worker sleeps when no wake message arrives; it also
// bounds how soon a newly installed model is noticed.
constexpr std::chrono::seconds kIdleFallback{5};

// Fails every task of `tasks` with `message`.
void FailAll(queue::TaskQueue& queue, const std::vector<queue::ClaimedTask>& tasks,
             const std::string& worker_id, const std::string& message, bool retryable) {
  for (const queue::ClaimedTask& task : tasks) queue.Fail(task.id, worker_id, message, retryable);
}

// Embeds the images of `tasks` with `encoder` in one batch and stores one
// vector per file in `space`. Files that are gone or cannot be decoded fail
// their own task and leave the others alone.
void EmbedImages(embedding::Encoder& encoder, const std::string& space,
                 const std::vector<queue::ClaimedTask>& tasks, store::Catalog& catalog,
                 queue::TaskQueue& queue, ChildSession& session) {
  const ChildIdentity& identity = session.identity();
  const std::string& worker_id = session.worker_id();
  store::EmbeddingStore embeddings(catalog.database());
  std::vector<preprocess::RgbImage> images;
  std::vector<const queue::ClaimedTask*> embedded;
  std::vector<int64_t> file_ids;
  for (const queue::ClaimedTask& task : tasks) {
    int64_t file_id = task.data.value("file_id", int64_t{0});
    std::optional<store::FileRecord> file = catalog.FindFile(file_id);
    if (!file || file->kind != "image" || file->status != "indexed") {
      queue.Complete(task.id, worker_id, {{"skipped", "file no longer catalogued as an image"}});
      continue;
    }
    try {
      images.push_back(preprocess::DecodeRgbImage(file->path));
    } catch (const Error& error) {
      spdlog::warn("{}: embed task {} for file {} ('{}') failed: {}", identity.process_id, task.id,
                   file->uuid, file->path, error.what());
      queue.Fail(task.id, worker_id, error.what(), /*retryable=*/false);
      continue;
    }
    embedded.push_back(&task);
    file_ids.push_back(file_id);
  }
  if (images.empty()) return;

  double started = MonotonicSeconds();
  std::vector<std::vector<float>> vectors = encoder.EncodeImages(images);
  double seconds = MonotonicSeconds() - started;
  nlohmann::json stored = nlohmann::json::array();
  for (size_t i = 0; i < embedded.size(); ++i) {
    store::NewEmbedding embedding;
    embedding.vector = std::move(vectors[i]);
    try {
      std::vector<int64_t> ids = embeddings.ReplaceFileVectors(
          file_ids[i], space, std::span<const store::NewEmbedding>(&embedding, 1));
      queue.Complete(embedded[i]->id, worker_id,
                     {{"space", space},
                      {"vector_id", ids.front()},
                      {"seconds", seconds / static_cast<double>(embedded.size())}});
      stored.push_back(file_ids[i]);
    } catch (const Error& error) {
      // The file was removed while it was embedded (its row is gone).
      queue.Complete(embedded[i]->id, worker_id, {{"skipped", error.what()}});
    }
  }
  if (!stored.empty()) {
    session.Send(ipc::MakeEvent("vectors_stored", {{"file_ids", stored}, {"space", space}}));
  }
  spdlog::debug("{}: embedded {} image(s) in {:.3f} s", identity.process_id, embedded.size(),
                seconds);
}

// Embeds the audio track of the file of `task` window by window and stores
// the windows as its audio segments with one vector each in `space`.
void EmbedAudio(embedding::Encoder& encoder, const std::string& space,
                const queue::ClaimedTask& task, store::Catalog& catalog, queue::TaskQueue& queue,
                ChildSession& session) {
  const ChildIdentity& identity = session.identity();
  const std::string& worker_id = session.worker_id();
  int64_t file_id = task.data.value("file_id", int64_t{0});
  std::optional<store::FileRecord> file = catalog.FindFile(file_id);
  if (!file || file->status != "indexed") {
    queue.Complete(task.id, worker_id, {{"skipped", "file no longer catalogued"}});
    return;
  }
  std::optional<store::MediaInfo> info = catalog.GetMediaInfo(file_id);
  const double duration = info ? info->duration : 0;
  TaskProgress progress(queue, session, task.id);
  bool ours = true;
  embedding::ChunkedAudioEncoder chunks(encoder);
  std::vector<embedding::AudioVector> windows;
  double started = MonotonicSeconds();
  try {
    media::AudioDecodeOptions decode;
    decode.sample_rate = encoder.info().audio_sample_rate;
    media::DecodeAudio(file->path, decode, [&](std::span<const float> samples) {
      if (chunks.Append(samples) == 0) return true;
      ours = progress.Report(duration > 0 ? chunks.embedded_seconds() / duration : 0);
      return ours;
    });
    if (!ours) return;  // cancelled or taken over
    windows = chunks.Finish();
  } catch (const media::MediaError& error) {
    spdlog::warn("{}: embed task {} for file {} ('{}') failed: {}", identity.process_id, task.id,
                 file->uuid, file->path, error.what());
    queue.Fail(task.id, worker_id, error.what(), /*retryable=*/false);
    return;
  }

  std::vector<store::SegmentRecord> segments;
  for (size_t i = 0; i < windows.size(); ++i) {
    store::SegmentRecord segment;
    segment.index = static_cast<int>(i);
    segment.start_s = windows[i].start_seconds;
    segment.end_s = windows[i].end_seconds;
    segment.representative_s = (windows[i].start_seconds + windows[i].end_seconds) / 2;
    segments.push_back(segment);
  }
  try {
    store::ExtractionStore extraction(catalog.database());
    std::vector<int64_t> segment_ids = extraction.ReplaceSegments(file_id, "audio", segments);
    std::vector<store::NewEmbedding> vectors(windows.size());
    for (size_t i = 0; i < windows.size(); ++i) {
      vectors[i].segment_id = segment_ids[i];
      vectors[i].vector = std::move(windows[i].vector);
    }
    store::EmbeddingStore(catalog.database()).ReplaceFileVectors(file_id, space, vectors);
  } catch (const Error& error) {
    // The file was removed while it was embedded.
    queue.Complete(task.id, worker_id, {{"skipped", error.what()}});
    return;
  }
  queue.Complete(
      task.id, worker_id,
      {{"space", space}, {"windows", windows.size()}, {"seconds", MonotonicSeconds() - started}});
  session.Send(ipc::MakeEvent("vectors_stored", {{"file_id", file_id}, {"space", space}}));
}

}  // namespace

// A model of one modality, loaded on first use and unloaded when idle.
struct ModelSlot {
  std::string modality;  // image or audio
  std::string name;      // models.image or models.audio
  std::unique_ptr<embedding::Encoder> encoder;
  double last_used = 0;
  bool waiting_logged = false;
};

int RunEmbeddingWorker(const config::Config& config, const ChildIdentity& identity) {
  ApplyMemoryLimit(config.processes.embedding_worker.memory_limit_mb, identity.process_id);
  ChildSession session(config, identity);
  store::Catalog catalog(config.storage.catalog_path);
  queue::TaskQueue queue(config.ipc.task_queue.path, QueueOptionsFromConfig(config));
  queue::TaskQueue heartbeat_queue(config.ipc.task_queue.path, QueueOptionsFromConfig(config));
  session.SetHeartbeatHook([&] { heartbeat_queue.ExtendLeases(session.worker_id()); });

  const int batch_size = std::max(1, config.processes.embedding_worker.batch_size);
  const int threads = config.models.inference_threads > 0
                          ? config.models.inference_threads
                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  ModelSlot slots[] = {{"image", config.models.image, nullptr, 0, false},
                       {"audio", config.models.audio, nullptr, 0, false}};
  ModelSlot& image_slot = slots[0];
  ModelSlot& audio_slot = slots[1];
  spdlog::info("{} ready (image model '{}', audio model '{}', batch size {}, {} threads)",
               identity.process_id, config.models.image, config.models.audio, batch_size, threads);

  // Loads the model of `slot` if needed and returns false when it cannot.
  // The tasks are then skipped when no model is configured, and go back to
  // waiting when the model is missing (removed after they were queued). They
  // fail with a retry when the model does not load, for example while it is
  // still being copied in or when it is broken.
  auto ensure_loaded = [&](ModelSlot& slot, const std::vector<queue::ClaimedTask>& tasks) {
    if (slot.encoder) return true;
    if (slot.name.empty()) {
      // The tasks were queued while a model was configured, but the
      // configuration has none now.
      spdlog::info("{}: {} embed task(s) skipped: no {} model is configured (models.{})",
                   identity.process_id, tasks.size(), slot.modality, slot.modality);
      for (const queue::ClaimedTask& task : tasks) {
        queue.Complete(
            task.id, session.worker_id(),
            {{"skipped", fmt::format("no {0} model is configured (models.{0})", slot.modality)}});
      }
      return false;
    }
    std::optional<std::filesystem::path> dir = InstalledModelDir(config, slot.name);
    if (!dir) {
      for (const queue::ClaimedTask& task : tasks) {
        queue.Wait(task.id, session.worker_id(),
                   ModelWait(config, task.data.value("modality", slot.modality)));
      }
      return false;
    }
    try {
      double started = MonotonicSeconds();
      slot.encoder = embedding::Encoder::Load(*dir, threads);
      spdlog::info("{}: loaded '{}' ({}, {} dimensions) in {:.2f} s", identity.process_id,
                   dir->string(), slot.encoder->info().family, slot.encoder->info().embedding_dim,
                   MonotonicSeconds() - started);
      return true;
    } catch (const Error& error) {
      std::string message =
          fmt::format("failed to load model '{}': {}", dir->string(), error.what());
      spdlog::error("{}: {}", identity.process_id, message);
      FailAll(queue, tasks, session.worker_id(), message, /*retryable=*/true);
      return false;
    }
  };

  while (!session.stop_requested()) {
    for (ModelSlot& slot : slots) {
      if (InstalledModelDir(config, slot.name)) {
        slot.waiting_logged = false;
        continue;
      }
      // Tasks for the missing model wait in the queue, and the scheduler
      // makes them pending once it is installed.
      if (!slot.waiting_logged && !slot.name.empty()) {
        spdlog::info("{}: {} model '{}' is not installed in '{}', so its tasks wait for it",
                     identity.process_id, slot.modality, slot.name, config.models.dir.string());
        slot.waiting_logged = true;
      }
      slot.encoder.reset();
    }

    std::vector<queue::ClaimedTask> claimed =
        queue.Claim(session.worker_id(), kEmbeddingWorkerTypes, batch_size);
    if (claimed.empty()) {
      int idle_limit = config.models.idle_unload_seconds;
      for (ModelSlot& slot : slots) {
        if (slot.encoder && idle_limit > 0 && MonotonicSeconds() - slot.last_used > idle_limit) {
          spdlog::info("{}: unloading the {} model after {} s without work", identity.process_id,
                       slot.modality, idle_limit);
          slot.encoder.reset();
          malloc_trim(0);
        }
      }
      session.WaitForMessage(kIdleFallback);
      continue;
    }

    session.SetCurrentTask(claimed.front().id);
    std::vector<queue::ClaimedTask> image_tasks;
    std::vector<queue::ClaimedTask> video_tasks;
    std::vector<queue::ClaimedTask> audio_tasks;
    for (queue::ClaimedTask& task : claimed) {
      std::string modality = task.data.value("modality", std::string(kEmbedImage));
      (modality == kEmbedAudio   ? audio_tasks
       : modality == kEmbedVideo ? video_tasks
                                 : image_tasks)
          .push_back(std::move(task));
    }
    // Tasks left when a stop is requested return to the queue below.
    try {
      if (!image_tasks.empty() && ensure_loaded(image_slot, image_tasks)) {
        EmbedImages(*image_slot.encoder, EmbeddingSpace(image_slot.name), image_tasks, catalog,
                    queue, session);
        image_slot.last_used = MonotonicSeconds();
      }
      if (!video_tasks.empty() && ensure_loaded(image_slot, video_tasks)) {
        VideoEmbedJob job{
            config,  *image_slot.encoder, EmbeddingSpace(image_slot.name), catalog, queue,
            session, batch_size};
        for (const queue::ClaimedTask& task : video_tasks) {
          if (session.stop_requested()) break;
          session.SetCurrentTask(task.id);
          EmbedVideo(job, task);
        }
        image_slot.last_used = MonotonicSeconds();
      }
      if (!audio_tasks.empty() && ensure_loaded(audio_slot, audio_tasks)) {
        for (const queue::ClaimedTask& task : audio_tasks) {
          if (session.stop_requested()) break;
          session.SetCurrentTask(task.id);
          EmbedAudio(*audio_slot.encoder, EmbeddingSpace(audio_slot.name), task, catalog, queue,
                     session);
        }
        audio_slot.last_used = MonotonicSeconds();
      }
    } catch (const std::exception& error) {
      // Fail changes nothing for the tasks that already finished.
      spdlog::error("{}: embedding {} task(s) failed: {}", identity.process_id, claimed.size(),
                    error.what());
      FailAll(queue, image_tasks, session.worker_id(), error.what(), /*retryable=*/true);
      FailAll(queue, video_tasks, session.worker_id(), error.what(), /*retryable=*/true);
      FailAll(queue, audio_tasks, session.worker_id(), error.what(), /*retryable=*/true);
    }
    session.SetCurrentTask(std::nullopt);
  }

  int released = queue.RequeueWorker(session.worker_id(), "worker stopped");
  spdlog::info("{} stopping (released {} task(s))", identity.process_id, released);
  return 0;
}

}  // namespace msearch::runtime

#include "runtime/embedding_worker.h"

#include <algorithm>
#include <memory>
#include <thread>

#include <malloc.h>
#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "embedding/encoder.h"
#include "preprocess/image_decode.h"
#include "queue/task_queue.h"
#include "runtime/model_paths.h"
#include "runtime/queue_options.h"
#include "runtime/resource_limits.h"
#include "runtime/task_types.h"
#include "store/catalog.h"
#include "store/embedding_store.h"

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
                 queue::TaskQueue& queue, const ChildIdentity& identity,
                 const std::string& worker_id) {
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
    } catch (const Error& error) {
      // The file was removed while it was embedded (its row is gone).
      queue.Complete(embedded[i]->id, worker_id, {{"skipped", error.what()}});
    }
  }
  spdlog::debug("{}: embedded {} image(s) in {:.3f} s", identity.process_id, embedded.size(),
                seconds);
}

}  // namespace

int RunEmbeddingWorker(const config::Config& config, const ChildIdentity& identity) {
  ApplyMemoryLimit(config.processes.embedding_worker.memory_limit_mb, identity.process_id);
  ChildSession session(config, identity);
  store::Catalog catalog(config.storage.catalog_path);
  queue::TaskQueue queue(config.ipc.task_queue.path, QueueOptionsFromConfig(config));
  queue::TaskQueue heartbeat_queue(config.ipc.task_queue.path, QueueOptionsFromConfig(config));
  session.SetHeartbeatHook([&] { heartbeat_queue.ExtendLeases(session.worker_id()); });

  const std::string& model_name = config.models.image;
  const int batch_size = std::max(1, config.processes.embedding_worker.batch_size);
  const int threads = config.models.inference_threads > 0
                          ? config.models.inference_threads
                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::unique_ptr<embedding::Encoder> encoder;
  double last_used = MonotonicSeconds();
  bool waiting_logged = false;
  spdlog::info("{} ready (image model '{}', batch size {}, {} threads)", identity.process_id,
               model_name, batch_size, threads);

  while (!session.stop_requested()) {
    std::optional<std::filesystem::path> model_dir = InstalledModelDir(config, model_name);
    if (!model_dir) {
      // Embed tasks wait in the queue; the scheduler queues them once the
      // model appears, so there is nothing to claim until then.
      if (!waiting_logged && !model_name.empty()) {
        spdlog::info("{}: image model '{}' is not installed in '{}'; waiting for it",
                     identity.process_id, model_name, config.models.dir.string());
        waiting_logged = true;
      }
      encoder.reset();
      session.WaitForMessage(kIdleFallback);
      continue;
    }
    waiting_logged = false;

    std::vector<queue::ClaimedTask> claimed =
        queue.Claim(session.worker_id(), kEmbeddingWorkerTypes, batch_size);
    if (claimed.empty()) {
      int idle_limit = config.models.idle_unload_seconds;
      if (encoder && idle_limit > 0 && MonotonicSeconds() - last_used > idle_limit) {
        spdlog::info("{}: unloading '{}' after {} s without work", identity.process_id,
                     model_dir->string(), idle_limit);
        encoder.reset();
        malloc_trim(0);
      }
      session.WaitForMessage(kIdleFallback);
      continue;
    }

    session.SetCurrentTask(claimed.front().id);
    if (!encoder) {
      try {
        double started = MonotonicSeconds();
        encoder = embedding::Encoder::Load(*model_dir, threads);
        spdlog::info("{}: loaded '{}' ({}, {} dimensions) in {:.2f} s", identity.process_id,
                     model_dir->string(), encoder->info().family, encoder->info().embedding_dim,
                     MonotonicSeconds() - started);
      } catch (const Error& error) {
        // A model still being copied in, or a broken one: the tasks go back
        // and are retried with backoff.
        spdlog::error("{}: cannot load '{}': {}", identity.process_id, model_dir->string(),
                      error.what());
        FailAll(queue, claimed, session.worker_id(), error.what(), /*retryable=*/true);
        session.SetCurrentTask(std::nullopt);
        session.WaitForMessage(kIdleFallback);
        continue;
      }
    }
    try {
      EmbedImages(*encoder, EmbeddingSpace(model_name), claimed, catalog, queue, identity,
                  session.worker_id());
    } catch (const std::exception& error) {
      spdlog::error("{}: embedding {} task(s) failed: {}", identity.process_id, claimed.size(),
                    error.what());
      FailAll(queue, claimed, session.worker_id(), error.what(), /*retryable=*/true);
    }
    last_used = MonotonicSeconds();
    session.SetCurrentTask(std::nullopt);
  }

  int released = queue.RequeueWorker(session.worker_id(), "worker stopped");
  spdlog::info("{} stopping (released {} task(s))", identity.process_id, released);
  return 0;
}

}  // namespace msearch::runtime

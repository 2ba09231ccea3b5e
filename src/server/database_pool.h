#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <vector>

#include "queue/task_queue.h"
#include "store/catalog.h"

namespace msearch::server {

// Connections to the catalog and the task queue for the API's worker
// threads. SQLite connections here serve one thread at a time, so each
// request leases a pair for its duration and returns it afterwards; the pool
// grows to the number of concurrent requests (at most api.threads).
//
// Thread safety: Acquire may be called from any thread; a Lease is used by
// the thread that acquired it.
class DatabasePool {
 public:
  DatabasePool(std::filesystem::path catalog_path, std::filesystem::path queue_path,
               queue::QueueOptions queue_options);
  ~DatabasePool();

  DatabasePool(const DatabasePool&) = delete;
  DatabasePool& operator=(const DatabasePool&) = delete;

  struct Connections;

  // One pair of connections, each opened on first use. catalog() and queue()
  // throw ApiError 503 naming the database when it cannot be opened.
  class Lease {
   public:
    Lease(DatabasePool& pool, std::unique_ptr<Connections> connections);
    ~Lease();
    Lease(Lease&& other) noexcept;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Lease& operator=(Lease&&) = delete;

    store::Catalog& catalog();
    queue::TaskQueue& queue();

   private:
    DatabasePool* pool_;
    std::unique_ptr<Connections> connections_;
  };

  Lease Acquire();

  const std::filesystem::path& catalog_path() const { return catalog_path_; }
  const std::filesystem::path& queue_path() const { return queue_path_; }

 private:
  void Release(std::unique_ptr<Connections> connections);

  const std::filesystem::path catalog_path_;
  const std::filesystem::path queue_path_;
  const queue::QueueOptions queue_options_;

  std::mutex mutex_;
  std::vector<std::unique_ptr<Connections>> idle_;
};

}  // namespace msearch::server

#include "server/database_pool.h"

#include <fmt/format.h>

#include "server/api_error.h"

namespace msearch::server {

struct DatabasePool::Connections {
  std::unique_ptr<store::Catalog> catalog;
  std::unique_ptr<queue::TaskQueue> queue;
};

DatabasePool::DatabasePool(std::filesystem::path catalog_path, std::filesystem::path queue_path,
                           queue::QueueOptions queue_options)
    : catalog_path_(std::move(catalog_path)),
      queue_path_(std::move(queue_path)),
      queue_options_(std::move(queue_options)) {}

DatabasePool::~DatabasePool() = default;

DatabasePool::Lease DatabasePool::Acquire() {
  std::unique_ptr<Connections> connections;
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      connections = std::move(idle_.back());
      idle_.pop_back();
    }
  }
  if (!connections) connections = std::make_unique<Connections>();
  return Lease(*this, std::move(connections));
}

void DatabasePool::Release(std::unique_ptr<Connections> connections) {
  std::lock_guard lock(mutex_);
  idle_.push_back(std::move(connections));
}

DatabasePool::Lease::Lease(DatabasePool& pool, std::unique_ptr<Connections> connections)
    : pool_(&pool), connections_(std::move(connections)) {}

DatabasePool::Lease::Lease(Lease&& other) noexcept
    : pool_(other.pool_), connections_(std::move(other.connections_)) {}

DatabasePool::Lease::~Lease() {
  if (connections_) pool_->Release(std::move(connections_));
}

store::Catalog& DatabasePool::Lease::catalog() {
  if (!connections_->catalog) {
    try {
      connections_->catalog = std::make_unique<store::Catalog>(pool_->catalog_path_);
    } catch (const Error& error) {
      throw Unavailable(fmt::format("the catalog database {} cannot be opened: {}",
                                    pool_->catalog_path_.string(), error.what()),
                        {{"database", pool_->catalog_path_.string()}});
    }
  }
  return *connections_->catalog;
}

queue::TaskQueue& DatabasePool::Lease::queue() {
  if (!connections_->queue) {
    try {
      connections_->queue =
          std::make_unique<queue::TaskQueue>(pool_->queue_path_, pool_->queue_options_);
    } catch (const Error& error) {
      throw Unavailable(fmt::format("the task queue database {} cannot be opened: {}",
                                    pool_->queue_path_.string(), error.what()),
                        {{"database", pool_->queue_path_.string()}});
    }
  }
  return *connections_->queue;
}

}  // namespace msearch::server

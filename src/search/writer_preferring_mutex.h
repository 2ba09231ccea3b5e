#pragma once

#include <pthread.h>

namespace msearch::search {

// A reader-writer lock that lets a waiting writer in before new readers.
// std::shared_mutex on glibc prefers readers, so a steady stream of
// overlapping searches would keep a writer waiting forever. Meets the
// SharedMutex requirements, so std::unique_lock and std::shared_lock work
// with it. Not recursive: a thread holding a read lock must not take it
// again, because a waiting writer blocks the second read lock.
class WriterPreferringMutex {
 public:
  WriterPreferringMutex();
  ~WriterPreferringMutex();

  WriterPreferringMutex(const WriterPreferringMutex&) = delete;
  WriterPreferringMutex& operator=(const WriterPreferringMutex&) = delete;

  void lock();
  bool try_lock();
  void unlock();
  void lock_shared();
  bool try_lock_shared();
  void unlock_shared();

 private:
  pthread_rwlock_t lock_;
};

}  // namespace msearch::search

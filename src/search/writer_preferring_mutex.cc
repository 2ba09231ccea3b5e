#include "search/writer_preferring_mutex.h"

#include <cerrno>
#include <system_error>

namespace msearch::search {
namespace {

void Check(int result, const char* what) {
  if (result != 0) throw std::system_error(result, std::generic_category(), what);
}

}  // namespace

WriterPreferringMutex::WriterPreferringMutex() {
  pthread_rwlockattr_t attributes;
  Check(pthread_rwlockattr_init(&attributes), "pthread_rwlockattr_init");
  // A glibc extension; without it readers that keep overlapping starve writers.
  pthread_rwlockattr_setkind_np(&attributes, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
  int result = pthread_rwlock_init(&lock_, &attributes);
  pthread_rwlockattr_destroy(&attributes);
  Check(result, "pthread_rwlock_init");
}

WriterPreferringMutex::~WriterPreferringMutex() { pthread_rwlock_destroy(&lock_); }

void WriterPreferringMutex::lock() {
  Check(pthread_rwlock_wrlock(&lock_), "pthread_rwlock_wrlock");
}

bool WriterPreferringMutex::try_lock() { return pthread_rwlock_trywrlock(&lock_) == 0; }

void WriterPreferringMutex::unlock() { pthread_rwlock_unlock(&lock_); }

void WriterPreferringMutex::lock_shared() {
  // EAGAIN means the maximum number of read locks is reached; retry.
  int result;
  while ((result = pthread_rwlock_rdlock(&lock_)) == EAGAIN) {
  }
  Check(result, "pthread_rwlock_rdlock");
}

bool WriterPreferringMutex::try_lock_shared() { return pthread_rwlock_tryrdlock(&lock_) == 0; }

void WriterPreferringMutex::unlock_shared() { pthread_rwlock_unlock(&lock_); }

}  // namespace msearch::search

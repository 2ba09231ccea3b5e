#pragma once

#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <sys/types.h>

#include "common/error.h"

namespace msearch::ipc {

class SharedBufferError : public Error {
 public:
  using Error::Error;
};

// A block of POSIX shared memory (/dev/shm) that a task worker fills with
// decoded frames or waveforms and an embedding worker maps by name, so large
// payloads never travel through the task queue or a socket.
//
// Names are "/<prefix>-<creator pid>-<sequence>"; the prefix identifies one
// msearch instance, and the creator pid lets SweepSharedBuffers tell a block
// whose writer died before handing it over. The block belongs to the
// process that has its name: the creator until it passes the name on (for example in an
// embed task), then the consumer, which calls Unlink when done. The mapping
// itself is released when the object is destroyed; the name persists until
// Unlink, so a consumer can open it after the creator exits.
class SharedBuffer {
 public:
  // Creates a new block of `bytes` (at least 1) under a fresh name, mapped
  // read-write. Throws SharedBufferError with the name and errno text when
  // the system refuses (for example /dev/shm full).
  static SharedBuffer Create(std::string_view prefix, size_t bytes);

  // Maps an existing block read-only. Throws SharedBufferError when `name`
  // is not a valid block name or the block does not exist.
  static SharedBuffer Open(const std::string& name);

  // Removes the name of block `name`; mappings stay valid until unmapped.
  // Returns false when it did not exist.
  static bool Unlink(const std::string& name);

  SharedBuffer(SharedBuffer&& other) noexcept;
  SharedBuffer& operator=(SharedBuffer&& other) noexcept;
  SharedBuffer(const SharedBuffer&) = delete;
  SharedBuffer& operator=(const SharedBuffer&) = delete;
  ~SharedBuffer();

  const std::string& name() const { return name_; }
  size_t size() const { return size_; }
  // Writable only for a buffer made by Create.
  std::span<std::byte> bytes() { return {static_cast<std::byte*>(data_), size_}; }
  std::span<const std::byte> bytes() const { return {static_cast<const std::byte*>(data_), size_}; }

 private:
  SharedBuffer(std::string name, void* data, size_t size)
      : name_(std::move(name)), data_(data), size_(size) {}
  void Release();

  std::string name_;
  void* data_ = nullptr;
  size_t size_ = 0;
};

// Checks that `prefix` is usable in a block name: 1 to 40 characters of
// letters, digits, '_' and '.'. Throws SharedBufferError otherwise.
void CheckSharedBufferPrefix(std::string_view prefix);

// Removes the blocks of `prefix` that no process will consume: those whose
// creator process is gone and for which `in_use(name)` is false (the
// caller checks the task queue). Blocks of live creators are left
// alone, since they may not have been handed over yet. Returns the names
// removed.
std::vector<std::string> SweepSharedBuffers(std::string_view prefix,
                                            const std::function<bool(const std::string&)>& in_use);

// A shared memory block of one prefix, as listed by ListSharedBuffers.
struct SharedBufferInfo {
  std::string name;  // "/<prefix>-<pid>-<n>"
  pid_t creator = 0;
  bool creator_alive = false;
  size_t bytes = 0;
  double modified_at = 0;  // Unix time in seconds of the last write, usually its creation
};

// Lists the blocks of `prefix` in /dev/shm, for sweeps that check more than
// whether the creator is alive and for limits on the memory the blocks use.
// Entries removed during the listing are skipped. Throws SharedBufferError for
// an invalid prefix.
std::vector<SharedBufferInfo> ListSharedBuffers(std::string_view prefix);

// The pid encoded in a block name, or 0 when the name is not one of
// `prefix`.
pid_t SharedBufferCreator(std::string_view prefix, std::string_view name);

}  // namespace msearch::ipc

#pragma once

#include <string>

#include "config/config.h"

namespace msearch::runtime {

// Counts of the leftovers RemoveLeftovers removed.
struct LeftoverCounts {
  int temporary_files = 0;
  int shared_buffers = 0;
};

// The shared memory prefix of the msearch instance that owns
// storage.data_dir: "msearch." followed by a hash of the folder's path, so
// two instances on one machine never sweep each other's blocks.
std::string SharedBufferPrefixFor(const config::Config& config);

// Removes what processes of an earlier run may have left when they were
// killed: half-written thumbnails (NAME.tmp-UUID files under
// storage.thumbnail_dir) and this instance's shared memory blocks. Call it
// only while holding the instance lock and before any child starts, when no
// process of the instance can still be using them. Logs what it removes.
LeftoverCounts RemoveLeftovers(const config::Config& config);

}  // namespace msearch::runtime

#pragma once

#include <cstddef>

namespace msearch::media {

struct MediaInitOptions {
  // libvips operation cache. The default 0 disables it, so memory stays low
  // and a file rewritten in place is never served from a stale cache entry
  // (libvips 8.14 keys cached loads by file name only).
  int vips_cache_max_operations = 0;
  size_t vips_cache_max_memory_bytes = 0;
  // Worker threads per libvips pipeline. Callers run several files in
  // parallel already, so one thread per pipeline keeps memory predictable.
  // 0 keeps the libvips default (the number of CPU cores).
  int vips_concurrency = 1;
};

// Initialises libvips (VIPS_INIT) and routes libvips warnings and FFmpeg log
// messages to spdlog at debug level, once per process. FFmpeg errors are also
// kept per thread so MediaError messages can quote them. Later calls only
// apply `options` again. Probe and thumbnail functions call it with default
// options on first use, so calling it is needed only to change the options.
// Thread-safe. Throws MediaError when libvips cannot start.
void InitMedia(const MediaInitOptions& options = {});

// Runs the one-time part of InitMedia with default options unless it already
// ran. Every public media function calls it, and it is cheap after the first
// call.
void EnsureMediaInitialized();

}  // namespace msearch::media

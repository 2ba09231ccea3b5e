#include "media/init.h"

#include <mutex>
#include <string>

#include <spdlog/spdlog.h>
#include <vips/vips.h>

#include "media/ffmpeg_log.h"
#include "media/media_error.h"

namespace msearch::media {
namespace {

std::once_flag init_once;
bool vips_started = false;

// libvips reports recoverable decoder trouble ("error in tile 0 x 120") as
// GLib warnings on stderr. The same failure reaches the caller as a
// MediaError, so the warning only goes to the debug log.
void VipsLogHandler(const gchar* domain, GLogLevelFlags level, const gchar* message, gpointer) {
  if ((level & G_LOG_LEVEL_CRITICAL) != 0) {
    spdlog::warn("{}: {}", domain ? domain : "glib", message ? message : "");
  } else {
    spdlog::debug("{}: {}", domain ? domain : "glib", message ? message : "");
  }
}

void ApplyOptions(const MediaInitOptions& options) {
  vips_cache_set_max(options.vips_cache_max_operations);
  vips_cache_set_max_mem(options.vips_cache_max_memory_bytes);
  if (options.vips_concurrency > 0) vips_concurrency_set(options.vips_concurrency);
}

void InitOnce(const MediaInitOptions& options) {
  if (VIPS_INIT("msearch") != 0) {
    std::string detail = vips_error_buffer();
    vips_error_clear();
    spdlog::error("media: libvips failed to start: {}", detail);
    return;
  }
  vips_started = true;
  // The content sniffing picks one of seven formats, but libvips chooses the
  // loader itself and prefers OpenSlide (flagged untrusted by libvips) for
  // some TIFF files. msearch indexes no slide scans, so that loader is off.
  vips_operation_block_set("VipsForeignLoadOpenslide", TRUE);
  g_log_set_handler("VIPS",
                    static_cast<GLogLevelFlags>(G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING |
                                                G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO),
                    &VipsLogHandler, nullptr);
  InstallFfmpegLogCallback();
  ApplyOptions(options);
  spdlog::debug("media: libvips {} and FFmpeg initialised", vips_version_string());
}

void RequireVipsStarted() {
  if (!vips_started) {
    throw MediaError(
        "cannot start libvips (VIPS_INIT failed); check that the libvips installation is "
        "complete");
  }
}

}  // namespace

void InitMedia(const MediaInitOptions& options) {
  bool first_call = false;
  std::call_once(init_once, [&] {
    first_call = true;
    InitOnce(options);
  });
  RequireVipsStarted();
  if (!first_call) ApplyOptions(options);
}

void EnsureMediaInitialized() {
  std::call_once(init_once, [] { InitOnce(MediaInitOptions{}); });
  RequireVipsStarted();
}

}  // namespace msearch::media

#pragma once

#include <cstdint>
#include <filesystem>

#include "media/ffmpeg_handles.h"

namespace msearch::media {

// Decoder shortcuts for scene segmentation, which needs only small pictures.
struct FastDecodeOptions {
  // Skip frames that no other frame references (most B-frames).
  bool skip_non_reference = true;
  // Minimum shorter side, in pixels, of reduced-resolution decoding (lowres)
  // where the codec supports it. 0 decodes at full resolution.
  int min_short_side = 0;
  // Key frame skim. A GOP is a key frame and the frames up to the next one.
  // When a GOP lasts at most skim_max_gop_s seconds and its key frame scores
  // at most skim_max_score (SceneScore) against the next key frame, the key
  // frame alone represents the GOP. Only the other GOPs are decoded in full.
  // NOTE: a shot that starts and ends inside one skimmed GOP (a cutaway
  // shorter than the GOP, after which the picture returns) is missed.
  bool skim_quiet_gops = false;
  double skim_max_score = 0.075;
  double skim_max_gop_s = 2.0;
  // Threads that decode whole GOPs in parallel, for streams of at least
  // parallel_min_pixels pixels per frame. 1 or less decodes every frame on
  // the calling thread.
  int decode_threads = 1;
  int64_t parallel_min_pixels = 0;
};

// Opens a one-thread decoder for `stream` with the shortcuts of `options`:
// the deblocking filter skipped, AV_CODEC_FLAG2_FAST, unreferenced frames
// skipped and reduced resolution as set. One thread keeps FFmpeg's error
// messages on the calling thread, where FfmpegErrorCapture collects them.
// Throws MediaError naming `path` when FFmpeg has no decoder for the codec
// or cannot open it.
CodecContextPtr OpenFastDecoder(const AVStream& stream, const std::filesystem::path& path,
                                const FastDecodeOptions& options);

}  // namespace msearch::media

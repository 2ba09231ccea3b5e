#include "media/fast_decoder.h"

#include <algorithm>
#include <string>

#include <fmt/format.h>

#include "media/ffmpeg_log.h"
#include "media/media_error.h"

namespace msearch::media {
namespace {

// Returns the largest lowres factor (each step halves both sides) that
// `codec` supports and that keeps the shorter side at least `min_short_side`.
int ChooseLowres(const AVCodec& codec, const AVCodecParameters& parameters, int min_short_side) {
  if (min_short_side <= 0) return 0;
  int short_side = std::min(parameters.width, parameters.height);
  int lowres = 0;
  while (lowres < codec.max_lowres && (short_side >> (lowres + 1)) >= min_short_side) ++lowres;
  return lowres;
}

}  // namespace

CodecContextPtr OpenFastDecoder(const AVStream& stream, const std::filesystem::path& path,
                                const FastDecodeOptions& options) {
  FfmpegErrorCapture capture;
  const AVCodec* codec = avcodec_find_decoder(stream.codecpar->codec_id);
  if (codec == nullptr) {
    throw MediaError(
        fmt::format("cannot decode '{}': no decoder for codec '{}' in this FFmpeg build",
                    path.string(), avcodec_get_name(stream.codecpar->codec_id)));
  }
  CodecContextPtr decoder(avcodec_alloc_context3(codec));
  if (!decoder) throw MediaError("cannot allocate an FFmpeg decoder: out of memory");
  int rc = avcodec_parameters_to_context(decoder.get(), stream.codecpar);
  if (rc >= 0) {
    // One thread keeps FFmpeg's error messages on this thread, where
    // FfmpegErrorCapture collects them.
    decoder->thread_count = 1;
    decoder->pkt_timebase = stream.time_base;
    decoder->lowres = ChooseLowres(*codec, *stream.codecpar, options.min_short_side);
    decoder->flags2 |= AV_CODEC_FLAG2_FAST;
    decoder->skip_loop_filter = AVDISCARD_ALL;
    decoder->skip_frame = options.skip_non_reference ? AVDISCARD_NONREF : AVDISCARD_DEFAULT;
    rc = avcodec_open2(decoder.get(), codec, nullptr);
  }
  if (rc < 0) {
    std::string detail = capture.Text();
    throw MediaError(fmt::format("cannot open the {} decoder for '{}': {}{}", codec->name,
                                 path.string(), FfmpegErrorString(rc),
                                 detail.empty() ? "" : " (" + detail + ")"));
  }
  return decoder;
}

}  // namespace msearch::media

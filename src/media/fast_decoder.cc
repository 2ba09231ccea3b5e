#include "media/fast_decoder.h"

#include <algorithm>

#include "media/av_open.h"

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
  return OpenDecoder(stream, path, [&](AVCodecContext& decoder, const AVCodec& codec) {
    decoder.lowres = ChooseLowres(codec, *stream.codecpar, options.min_short_side);
    decoder.flags2 |= AV_CODEC_FLAG2_FAST;
    decoder.skip_loop_filter = AVDISCARD_ALL;
    decoder.skip_frame = options.skip_non_reference ? AVDISCARD_NONREF : AVDISCARD_DEFAULT;
  });
}

}  // namespace msearch::media

#pragma once

#include <filesystem>
#include <string>

#include "media/ffmpeg_handles.h"

namespace msearch::media {

// Packets read before giving up on the first frame: enough to get past
// leading B-frames or a few damaged packets, while bounding the work spent on
// a file whose packets are all garbage.
inline constexpr int kMaxPacketsForFirstFrame = 300;

// Reads packets of `stream_index` from the current position of `format` and
// decodes them with `decoder` until one frame comes out. Corrupt packets are
// skipped. After `max_packets` packets of the stream, or at the end of the
// file, returns nullptr and sets `*error` to FFmpeg's reason.
FramePtr DecodeNextFrame(AVFormatContext& format, int stream_index, AVCodecContext& decoder,
                         int max_packets, std::string* error);

// Seeks to the key frame at or before `seconds` and decodes forward to the
// first frame at or after it. Returns the last frame decoded before a
// failure, or nullptr when seeking fails or nothing decodes, in which case
// callers fall back to the first frame of a freshly opened file.
FramePtr DecodeFrameNear(AVFormatContext& format, int stream_index, AVCodecContext& decoder,
                         double seconds);

struct RepresentativeFrame {
  FramePtr frame;
  int rotation_clockwise = 0;        // from the stream's display matrix
  double sample_aspect_ratio = 1.0;  // pixel width / height, 1 when unknown
};

// Decodes the frame a thumbnail shows from video stream `stream_index` of
// the opened `format`: the frame at 10% of the duration or at 1 s, whichever
// is earlier, else the first decodable frame (reopening `path` to read it
// from the start). Throws MediaError when no frame decodes.
RepresentativeFrame DecodeRepresentativeFrame(const std::filesystem::path& path,
                                              FormatContextPtr format, int stream_index);

}  // namespace msearch::media

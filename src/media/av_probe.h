#pragma once

#include <filesystem>

#include "store/media_info.h"

namespace msearch::media {

// Probes an audio or video file with libavformat: container, duration, bit
// rate, streams, rotation, frame rate, tags. The kind comes from the
// content: "video" when there is a video stream other than cover art, else
// "audio". The first video frame (or, without video, the first audio frame)
// is decoded, so a file whose container opens but whose data is garbage
// fails here. For audio files up to 512 MiB the whole file is read without
// decoding, and the duration measured from the packets present replaces a
// header's claim that is longer or shorter by more than 0.5 s and 2%
// (logged as a warning). Throws MediaError naming the file.
store::MediaInfo ProbeAudioVideo(const std::filesystem::path& path);

}  // namespace msearch::media

#pragma once

#include <filesystem>
#include <functional>
#include <optional>

#include "media/ffmpeg_handles.h"

namespace msearch::media {

// Opens `path` with libavformat, restricted to the local file protocol, and
// reads stream information. Throws MediaError naming the file and quoting
// FFmpeg's error, for example "moov atom not found".
FormatContextPtr OpenMediaFile(const std::filesystem::path& path);

// Opens a single-threaded decoder for `stream`. One thread keeps memory low
// and keeps decoder errors on the calling thread, where FfmpegErrorCapture
// sees them. Callers parallelise across files instead. Throws MediaError when FFmpeg has
// no decoder for the codec or cannot open it.
CodecContextPtr OpenDecoder(const AVStream& stream, const std::filesystem::path& path);

// Callback that sets decoder options on the context after the stream
// parameters are copied into it and before avcodec_open2.
using DecoderSetup = std::function<void(AVCodecContext& decoder, const AVCodec& codec)>;

// Opens a decoder like OpenDecoder, calling `setup` before the decoder opens.
CodecContextPtr OpenDecoder(const AVStream& stream, const std::filesystem::path& path,
                            const DecoderSetup& setup);

// Returns the index of the first video stream that is not an attached
// picture (cover art), or -1 when there is none.
int FindVideoStream(const AVFormatContext& format);

// Returns the index of the first attached picture (embedded cover art), or -1.
int FindCoverArtStream(const AVFormatContext& format);

// Returns the index of the first audio stream, or -1.
int FindAudioStream(const AVFormatContext& format);

// Returns the clockwise rotation, in degrees 0..359, that a player applies to
// show the stream upright, from the display matrix side data, or 0 when the
// stream has none.
// This is the negated ffprobe "rotation" value, so a display matrix of -90
// gives 90.
int StreamRotationClockwise(const AVStream& stream);

// Returns the seconds in an FFmpeg timestamp of `stream`.
double StreamSeconds(const AVStream& stream, int64_t timestamp);

// Returns the start of the presentation in seconds of stream time: the
// earliest start time of the audio and video streams (cover art excluded),
// or nullopt when none has one. Video segment times, audio samples and
// fingerprint offsets all count from this moment, so a soundtrack that
// starts after the pictures (an edit list, a start time offset) lines up
// with them.
std::optional<double> PresentationStartSeconds(const AVFormatContext& format);

}  // namespace msearch::media

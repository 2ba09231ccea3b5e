#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>

namespace msearch::media {

// Default output rate: the rate the audio embedding model expects.
inline constexpr int kDefaultAudioSampleRate = 48000;

// Maximum silence DecodeAudio puts before a late audio stream in a file
// whose container states no duration.
inline constexpr double kMaxLeadingSilenceSeconds = 600;

struct AudioDecodeOptions {
  int sample_rate = kDefaultAudioSampleRate;  // output rate in Hz, 1000..384000
  // Stops after this many seconds of output; 0 decodes the whole stream.
  double max_seconds = 0;
  // A stream whose packets fail to decode more often than this fraction is
  // rejected as corrupt, because a decoder fed random bytes (an AAC stream
  // with a garbage payload) still outputs some noise frames.
  double max_corrupt_packet_fraction = 0.5;
};

// Receives decoded audio in order: mono float samples at the requested rate,
// nominally in [-1, 1] (channels are averaged, and float sources may exceed
// full scale). The span is valid only during the call. Returning false stops decoding early,
// without an error, for example when a worker shuts down.
using AudioSink = std::function<bool(std::span<const float> samples)>;

struct AudioDecodeResult {
  int stream_index = -1;        // the file's first audio stream
  std::string codec;            // FFmpeg codec name, e.g. "aac"
  int source_sample_rate = 0;   // Hz, as the decoder reported it
  int source_channels = 0;      // before the mix-down to mono
  int sample_rate = 0;          // Hz of the samples the sink received
  int64_t sample_count = 0;     // samples the sink received
  double duration_seconds = 0;  // sample_count / sample_rate
  // Time of the first decoded sample from the start of the presentation
  // (see PresentationStartSeconds), in seconds. The sink received this much
  // silence before it, so sample n of the output plays at n / sample_rate
  // seconds, on the timeline of the file's video segments. 0 when the audio
  // starts first, or when the offset was not trusted (see DecodeAudio).
  double start_seconds = 0;
  int64_t packet_count = 0;     // audio packets read
  int64_t corrupt_packets = 0;  // audio packets the decoder rejected and skipped
  bool stopped_early = false;   // the sink returned false or max_seconds was reached
};

// Decodes the first audio stream of any file FFmpeg reads, audio files and
// video files alike, and streams it to `sink` as mono float samples at
// `options.sample_rate`, resampled with libswresample. Only one decoded
// frame and its resampled copy are in memory at a time, so a 2-hour file
// costs no more memory than a short one. Corrupt packets are skipped and
// counted. Durations come from the samples decoded, not from the header,
// so a file cut short reports the audio it really contains.
//
// When the audio stream starts after the presentation does (a video whose
// soundtrack begins later, through an edit list or a start time), silence
// fills the time before its first sample. Output positions are therefore
// seconds from the start of the presentation. An offset longer than the
// container's duration (or than kMaxLeadingSilenceSeconds when the
// container has none) comes from broken timestamps and is ignored.
// NOTE: gaps in the stream's timestamps are not filled with silence, so
// sample positions after a gap run early by the gap's length.
//
// Throws MediaError naming the file when it cannot be opened, has no audio
// stream (a video without sound), contains no audio data (an MP3 with only
// an ID3 tag) or its audio does not decode (a corrupt payload). Exceptions
// thrown by `sink` propagate unchanged. Thread-safe: files may be decoded
// in parallel, one call per thread.
AudioDecodeResult DecodeAudio(const std::filesystem::path& path, const AudioDecodeOptions& options,
                              const AudioSink& sink);

}  // namespace msearch::media

// Speed of audio fingerprinting and fingerprint matching.
//
// - decode: DecodeAudio of the 150 s corpus MP3 at 11025 Hz, discarding the
//   samples, in seconds per minute of audio.
// - fingerprint: FingerprintAudioFile of the same file (decoding plus
//   Chromaprint), in seconds per minute of audio.
// - match: MatchFingerprint of a 20 s clip (items 400 to 561 of the file)
//   against a 2-hour reference (the file's fingerprint repeated), and
//   FingerprintIndex::Search of the same clip in an index of that
//   reference, in milliseconds.
// Each figure is the median, min and max of --runs runs.
//
// Usage: fingerprint_bench [--runs R] [--corpus PATH]

#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "media/audio_decode.h"
#include "media/audio_fingerprint.h"
#include "media/fingerprint_match.h"
#include "media/fingerprint_match_index.h"
#include "support/bench_paths.h"
#include "support/bench_stats.h"
#include "support/machine_info.h"

int main(int argc, char** argv) {
  using namespace msearch;
  using namespace msearch::bench;
  int runs = 5;
  std::filesystem::path corpus = DefaultCorpusDir();
  CLI::App app{"Measures audio fingerprint and match speed on the corpus music"};
  app.add_option("--runs", runs, "Runs of each measurement")->check(CLI::Range(1, 100));
  app.add_option("--corpus", corpus, "Media corpus folder (with audio/)");
  CLI11_PARSE(app, argc, argv);
  std::filesystem::path music = corpus / "audio/long_2m30_synth_music.mp3";
  if (!std::filesystem::exists(music)) {
    fmt::print("fingerprint_bench: {} not found; skipped (set --corpus)\n", music.string());
    return 0;
  }
  spdlog::set_level(spdlog::level::err);
  fmt::print("fingerprint_bench: {} runs on {}\n", runs, music.string());
  fmt::print("machine: {}\n\n", DescribeMachine());

  std::vector<double> decode_times;
  std::vector<double> fingerprint_times;
  media::FileFingerprint file;
  for (int run = 0; run < runs; ++run) {
    media::AudioDecodeOptions options;
    options.sample_rate = 11025;
    double start = MonotonicSeconds();
    media::AudioDecodeResult decoded =
        media::DecodeAudio(music, options, [](std::span<const float>) { return true; });
    decode_times.push_back((MonotonicSeconds() - start) / (decoded.duration_seconds / 60));

    start = MonotonicSeconds();
    file = media::FingerprintAudioFile(music);
    fingerprint_times.push_back((MonotonicSeconds() - start) / (file.audio.duration_seconds / 60));
  }

  // About 2 hours of items: 58,000 at 0.1238 s.
  media::AudioFingerprint reference = file.fingerprint;
  reference.items.clear();
  while (reference.DurationSeconds() < 7200) {
    reference.items.insert(reference.items.end(), file.fingerprint.items.begin(),
                           file.fingerprint.items.end());
  }
  media::AudioFingerprint clip = file.fingerprint;
  clip.items.assign(file.fingerprint.items.begin() + 400, file.fingerprint.items.begin() + 561);
  media::FingerprintIndex index;
  double build_start = MonotonicSeconds();
  index.Add(1, reference);
  double build_ms = (MonotonicSeconds() - build_start) * 1000;

  std::vector<double> match_times;
  std::vector<double> search_times;
  size_t matches = 0;
  for (int run = 0; run < runs; ++run) {
    double start = MonotonicSeconds();
    media::FingerprintMatch best = media::MatchFingerprint(clip, reference);
    match_times.push_back((MonotonicSeconds() - start) * 1000);
    if (best.matched) ++matches;

    start = MonotonicSeconds();
    matches += index.Search(clip).size();
    search_times.push_back((MonotonicSeconds() - start) * 1000);
  }

  PrintTableHeader("fingerprints");
  PrintRow("decode at 11025 Hz", Summarize(decode_times), "s/audio min", 3);
  PrintRow("fingerprint (decode + Chromaprint)", Summarize(fingerprint_times), "s/audio min", 3);
  PrintRow(fmt::format("match 20 s clip in {:.0f} min, slide", reference.DurationSeconds() / 60),
           Summarize(match_times), "ms", 2);
  PrintRow(fmt::format("match 20 s clip in {:.0f} min, index", reference.DurationSeconds() / 60),
           Summarize(search_times), "ms", 3);
  fmt::print("index build for {} items: {:.1f} ms; matches found: {}\n", reference.items.size(),
             build_ms, matches);
  return 0;
}

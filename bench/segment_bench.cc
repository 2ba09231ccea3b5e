// Speed of video segmentation (media::SegmentVideo), as a multiple of real
// time: seconds of video per second of wall time, and per second of CPU time
// of this process (all its threads). The CPU figure is less disturbed by
// other work on a shared machine.
//
// The bench makes its own H.264 files with the ffmpeg command-line tool in
// a scratch folder. They last --duration seconds at 30 frames per second,
// at 720p and 1080p, encoded by libx264 with preset veryfast (High profile,
// CABAC, 3 B-frames). Each size is made with a GOP of 250 frames (the
// libx264 default) and of 30 frames (1 s). The video is four shots of equal
// length with hard cuts between them: testsrc2, moving gradients, testsrc2
// mirrored with rotated hues, and gradients at another speed. Synthetic
// pictures compress better than camera footage (testsrc2 at 1080p takes
// about 5 Mbit/s), so camera files of the same size likely decode slower.
//
// Each run segments the file with the default SegmentOptions, writing
// thumbnails into the scratch folder. The boundaries found are printed next
// to the three cuts made. The key frame skim (SegmentOptions::
// skim_quiet_gops) applies only to the 1 s GOPs and is also measured off.
//
// With --file, the bench measures that file instead, with and without the
// skim, and generates nothing. --threads sets SegmentOptions::decode_threads
// (default 2, so GOPs of 720p and larger video decode on two threads).
//
// Usage: segment_bench [--runs R] [--duration S] [--keep] [--file PATH] [--threads N]

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include "common/clock.h"
#include "media/init.h"
#include "media/video_segment.h"
#include "support/bench_paths.h"
#include "support/bench_stats.h"
#include "support/machine_info.h"

namespace msearch::bench {
namespace {

struct Settings {
  int runs = 5;
  int duration_s = 60;
  bool keep = false;
  std::filesystem::path file;
  int threads = media::SegmentOptions{}.decode_threads;
};

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// Writes the four-shot test video; returns false when ffmpeg fails.
bool MakeVideo(const std::filesystem::path& output, int width, int height, int gop,
               const Settings& settings) {
  double shot = settings.duration_s / 4.0;
  std::string size = fmt::format("{}x{}", width, height);
  std::string command = fmt::format(
      "ffmpeg -nostdin -v error -y "
      "-f lavfi -i testsrc2=s={0}:r=30:d={1} "
      "-f lavfi -i gradients=s={0}:r=30:d={1}:speed=0.02 "
      "-f lavfi -i testsrc2=s={0}:r=30:d={1} "
      "-f lavfi -i gradients=s={0}:r=30:d={1}:speed=0.05:c0=0x2040c0:c1=0xe0c020 "
      "-filter_complex '[2:v]hflip,hue=h=120[mirrored];"
      "[0:v][1:v][mirrored][3:v]concat=n=4:v=1:a=0,format=yuv420p' "
      "-c:v libx264 -preset veryfast -g {2} '{3}'",
      size, shot, gop, output.string());
  return std::system(command.c_str()) == 0;
}

void Measure(const std::string& name, const std::filesystem::path& video,
             const std::filesystem::path& thumbnails, const media::SegmentOptions& options,
             const Settings& settings) {
  std::vector<double> wall_multiples;
  std::vector<double> cpu_multiples;
  media::SegmentationSummary summary;
  std::vector<double> boundaries;
  for (int run = 0; run < settings.runs; ++run) {
    boundaries.clear();
    double cpu_start = CpuSeconds();
    double start = MonotonicSeconds();
    summary = media::SegmentVideo(video, options, thumbnails, [&](media::VideoSegment&& segment) {
      if (segment.index > 0) boundaries.push_back(segment.start_s);
    });
    double wall = MonotonicSeconds() - start;
    double cpu = CpuSeconds() - cpu_start;
    wall_multiples.push_back(summary.duration_s / wall);
    cpu_multiples.push_back(summary.duration_s / cpu);
  }
  PrintRow(name + ", wall time", Summarize(wall_multiples), "x realtime", 1);
  PrintRow(name + ", CPU time", Summarize(cpu_multiples), "x realtime", 1);

  std::string found;
  for (double boundary : boundaries) found += fmt::format(" {:.2f}", boundary);
  std::string expected =
      settings.file.empty()
          ? fmt::format(" (cuts expected at {:.1f}, {:.1f}, {:.1f})", settings.duration_s / 4.0,
                        settings.duration_s / 2.0, settings.duration_s * 3 / 4.0)
          : "";
  fmt::print(
      "  {} segments, boundaries at{} s{}; {} frames decoded, {} GOPs skimmed, {} decoding "
      "threads\n",
      summary.segment_count, found, expected, summary.frames_decoded, summary.gops_skimmed,
      std::max(1, summary.decode_threads));
}

}  // namespace
}  // namespace msearch::bench

int main(int argc, char** argv) {
  using namespace msearch::bench;
  Settings settings;
  CLI::App app{"Measures video segmentation speed on generated 720p and 1080p H.264 files"};
  app.add_option("--runs", settings.runs, "Runs per file")->check(CLI::Range(1, 100));
  app.add_option("--duration", settings.duration_s, "Length of the generated videos in seconds")
      ->check(CLI::Range(8, 3600));
  app.add_flag("--keep", settings.keep, "Keep the scratch folder with the generated videos");
  app.add_option("--file", settings.file, "Measure this video instead of generated ones")
      ->check(CLI::ExistingFile);
  app.add_option("--threads", settings.threads, "Threads that decode GOPs in parallel")
      ->check(CLI::Range(1, 16));
  CLI11_PARSE(app, argc, argv);

  spdlog::set_level(spdlog::level::warn);
  msearch::media::InitMedia();
  if (!settings.file.empty()) {
    ScratchDir scratch("segment-bench");
    fmt::print("segment_bench: {}, {} runs, {} decoding threads\n", settings.file.string(),
               settings.runs, settings.threads);
    fmt::print("machine: {}\n\n", DescribeMachine());
    PrintTableHeader("file");
    msearch::media::SegmentOptions options;
    options.decode_threads = settings.threads;
    Measure(settings.file.filename().string(), settings.file, scratch.path() / "thumbnails",
            options, settings);
    options.skim_quiet_gops = false;
    Measure(settings.file.filename().string() + ", no skim", settings.file,
            scratch.path() / "thumbnails", options, settings);
    fmt::print("\nmachine at the end: {}\n", DescribeMachine());
    return 0;
  }
  ScratchDir scratch("segment-bench");
  if (settings.keep) scratch.Keep();
  fmt::print("segment_bench: {} s videos at 30 fps, {} runs, {} decoding threads, files in {}\n",
             settings.duration_s, settings.runs, settings.threads, scratch.path().string());
  fmt::print("machine: {}\n\n", DescribeMachine());

  struct Resolution {
    const char* name;
    int width;
    int height;
  };
  PrintTableHeader("file");
  for (Resolution resolution : {Resolution{"720p", 1280, 720}, Resolution{"1080p", 1920, 1080}}) {
    for (int gop : {250, 30}) {
      std::string name = fmt::format("{} H.264 GOP {}", resolution.name, gop);
      std::filesystem::path path =
          scratch.path() / fmt::format("{}_gop{}.mp4", resolution.name, gop);
      if (!MakeVideo(path, resolution.width, resolution.height, gop, settings)) {
        std::fprintf(stderr, "segment_bench: ffmpeg could not make %s\n", path.c_str());
        return 1;
      }
      std::filesystem::path thumbnails = scratch.path() / "thumbnails";
      msearch::media::SegmentOptions options;
      options.decode_threads = settings.threads;
      Measure(name, path, thumbnails, options, settings);
      if (gop == 30) {
        options.skim_quiet_gops = false;
        Measure(name + ", no skim", path, thumbnails, options, settings);
      }
      std::filesystem::remove(path);
    }
  }
  fmt::print("\nmachine at the end: {}\n", DescribeMachine());
  return 0;
}

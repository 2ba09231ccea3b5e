// Time per image of msearch::media::RecognizeText (Tesseract OCR).
//
// Each image is decoded once (not timed), recognised once to load the
// engine, then recognised --runs times. Prints the median, min and max
// milliseconds per image:
// - a text image (the invoice, English; the street names, Chinese),
// - a photo with text (the sign),
// - a photo without text, with the edge pre-check that skips it and with
//   the pre-check off (Tesseract runs on it),
// - a video frame with a caption (decoded with the ffmpeg CLI).
// Engine loading is timed separately, per language set.
//
// Usage: ocr_bench [--runs R] [--corpus PATH]

#include <cerrno>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spawn.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <tesseract/baseapi.h>

#include "common/clock.h"
#include "media/image_pixels.h"
#include "media/ocr.h"
#include "support/bench_paths.h"
#include "support/bench_stats.h"
#include "support/corpus_files.h"
#include "support/machine_info.h"

extern char** environ;

namespace msearch::bench {
namespace {

struct Case {
  std::string name;
  std::filesystem::path path;
  media::OcrOptions options;
};

// Writes one frame of `video` at `seconds` to `output` with the ffmpeg
// CLI. Returns false when ffmpeg is missing or fails.
bool ExtractFrame(const std::filesystem::path& video, double seconds,
                  const std::filesystem::path& output) {
  std::vector<std::string> arguments = {"ffmpeg",
                                        "-nostdin",
                                        "-loglevel",
                                        "error",
                                        "-y",
                                        "-ss",
                                        fmt::format("{}", seconds),
                                        "-i",
                                        video.string(),
                                        "-frames:v",
                                        "1",
                                        output.string()};
  std::vector<char*> argv;
  for (auto& argument : arguments) argv.push_back(argument.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawnp(&pid, "ffmpeg", nullptr, nullptr, argv.data(), environ) != 0) return false;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return false;
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

double MeasureLoad(const media::OcrOptions& options) {
  double start = MonotonicSeconds();
  media::OcrEngine engine(options);
  return (MonotonicSeconds() - start) * 1000;
}

}  // namespace
}  // namespace msearch::bench

int main(int argc, char** argv) {
  using namespace msearch;
  using namespace msearch::bench;
  int runs = 5;
  std::filesystem::path corpus = DefaultCorpusDir();
  CLI::App app{"Measures Tesseract OCR time per image on corpus images"};
  app.add_option("--runs", runs, "Runs of each measurement")->check(CLI::Range(1, 100));
  app.add_option("--corpus", corpus, "Media corpus folder (with images/)");
  CLI11_PARSE(app, argc, argv);
  if (!CorpusAvailable(corpus, "ocr_bench")) return 0;
  spdlog::set_level(spdlog::level::err);

  media::OcrOptions english;
  media::OcrOptions chinese;
  chinese.languages = "chi_sim";
  media::OcrOptions no_precheck;
  no_precheck.min_strong_edge_fraction = 0;

  ScratchDir scratch("msearch-ocr-bench");
  std::vector<Case> cases = {
      {"text image, eng (invoice 1000x360)", corpus / "images/text_en_invoice.png", english},
      {"text image, chi_sim (900x300)", corpus / "images/text_zh_shanghai.png", chinese},
      {"photo with text, eng (sign 1280x960)", corpus / "images/scenetext_sports_centre_sign.jpg",
       english},
      {"photo, no text, pre-check skips (451x300)", corpus / "images/cat_chelsea_baseline.jpg",
       english},
      {"photo, no text, pre-check off (451x300)", corpus / "images/cat_chelsea_baseline.jpg",
       no_precheck},
  };
  std::filesystem::path frame = scratch.path() / "caption.png";
  if (ExtractFrame(corpus / "video/burnt_in_text.mp4", 3.75, frame)) {
    cases.push_back({"video frame with caption, eng (640x360)", frame, english});
  }

  fmt::print("ocr_bench: {} runs per image, Tesseract {}\n", runs,
             tesseract::TessBaseAPI::Version());
  fmt::print("machine: {}\n\n", DescribeMachine());

  std::vector<double> load_english;
  std::vector<double> load_chinese;
  for (int run = 0; run < runs; ++run) {
    load_english.push_back(MeasureLoad(english));
    load_chinese.push_back(MeasureLoad(chinese));
  }

  PrintTableHeader("OCR");
  PrintRow("load engine, eng", Summarize(load_english), "ms", 1);
  PrintRow("load engine, chi_sim", Summarize(load_chinese), "ms", 1);
  for (const Case& test_case : cases) {
    media::RgbImage image = media::DecodeRgb(test_case.path, 1 << 20);
    media::OcrResult warm_up = media::RecognizeText(image, test_case.options);
    std::vector<double> times;
    for (int run = 0; run < runs; ++run) {
      double start = MonotonicSeconds();
      media::RecognizeText(image, test_case.options);
      times.push_back((MonotonicSeconds() - start) * 1000);
    }
    PrintRow(fmt::format("{} [{} words]", test_case.name, warm_up.words.size()), Summarize(times),
             "ms", 1);
  }
  return 0;
}

#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "media/image_pixels.h"
#include "media/ocr_text.h"

namespace msearch::media {

struct OcrOptions {
  // Tesseract language codes joined by '+', e.g. "eng" or "eng+chi_sim".
  // Each needs its traineddata file (Debian: tesseract-ocr-eng,
  // tesseract-ocr-chi-sim).
  std::string languages = "eng";
  // Folder holding the traineddata files; empty uses Tesseract's default
  // (TESSDATA_PREFIX, else the path Tesseract was built with).
  std::filesystem::path tessdata_dir;
  // Words Tesseract is less sure of (0 to 100) are dropped as noise.
  float min_word_confidence = 60;
  // Pre-check: images in which fewer than this share of pixels sit on a
  // strong horizontal edge (a step of kStrongEdgeStep grey levels) are
  // skipped without running Tesseract. Printed and overlaid text has such
  // edges; natural photos, blank and blurred frames mostly do not. On the
  // test corpus, text images measured about 0.3% to 2% and natural photos
  // about 0.1% or less. 0 runs Tesseract on every image.
  double min_strong_edge_fraction = 0.0015;
  // Images whose shorter side is below this are enlarged by the smallest
  // whole factor that reaches it (at most max_upscale), because Tesseract
  // misreads letters only a few pixels high. A 640x360 video frame is read
  // at twice its size.
  int min_short_side = 480;
  double max_upscale = 3.0;
  // Larger images are reduced to this many pixels, bounding the time one
  // image may take.
  int64_t max_pixels = 12'000'000;
};

struct OcrResult {
  std::vector<OcrWord> words;  // in reading order: lines top to bottom, words left to right
  // The words joined: lines with '\n', words with ' ' except between
  // Chinese or Japanese characters, which only keep a space where the gap
  // between them is wide.
  std::string text;
  bool skipped = false;  // the pre-check found no text-like edges
};

// A Tesseract instance for one language set. Loading one took 0.25 to
// 0.35 s in ocr_bench (2-core machine under load), so callers keep it. Not thread-safe (nor is
// Tesseract's TessBaseAPI): use one engine per thread, as RecognizeText does.
class OcrEngine {
 public:
  // Throws MediaError when Tesseract cannot load the languages (a missing
  // traineddata file), naming the languages and the data folder, and
  // msearch::Error for an option out of range.
  explicit OcrEngine(const OcrOptions& options = {});
  ~OcrEngine();

  OcrEngine(const OcrEngine&) = delete;
  OcrEngine& operator=(const OcrEngine&) = delete;

  // Recognises the text of an 8-bit RGB image, rows top to bottom with no
  // padding (width x height x 3 bytes). Runs Tesseract's automatic page
  // layout on the grey image (documents, signs), and for images that are
  // mostly not bright, a second pass on the bright pixels alone, which
  // reads white or yellow captions laid over video and photos. Throws
  // MediaError for a size that is not positive or a null buffer.
  OcrResult Recognize(const uint8_t* rgb, int width, int height);
  OcrResult Recognize(const RgbImage& image);

  // Replaces the recognition options. The languages and tessdata_dir must
  // stay those the engine was created with; throws msearch::Error
  // otherwise, or for an option out of range.
  void SetOptions(const OcrOptions& options);
  const OcrOptions& options() const { return options_; }

 private:
  struct Tesseract;
  OcrOptions options_;
  std::unique_ptr<Tesseract> tesseract_;
};

// Recognises text with an engine kept per thread and per language set and
// data folder, created on first use. Thread-safe; throws as OcrEngine.
OcrResult RecognizeText(const uint8_t* rgb, int width, int height, const OcrOptions& options = {});
OcrResult RecognizeText(const RgbImage& image, const OcrOptions& options = {});

}  // namespace msearch::media

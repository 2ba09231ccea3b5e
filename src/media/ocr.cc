#include "media/ocr.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <memory>
#include <utility>

#include <fmt/format.h>
#include <leptonica/allheaders.h>
#include <spdlog/spdlog.h>
#include <tesseract/baseapi.h>

#include "common/clock.h"
#include "common/error.h"
#include "media/media_error.h"
#include "media/ocr_image.h"

namespace msearch::media {
namespace {

// Tesseract warns about images without a resolution and then assumes 70
// dpi. 300 dpi is the resolution its models were trained at, so text of
// the size Tesseract reads best passes its size filters.
constexpr int kSourceDpi = 300;

// Images with more bright pixels than this are light documents or bright
// scenes. There, the bright-text pass would see background as text.
constexpr double kMaxBrightFractionForCaptionPass = 0.4;

// Two words from different passes are the same word when their boxes
// overlap by at least this share of the smaller box.
constexpr double kSameWordOverlap = 0.5;

struct PixDeleter {
  void operator()(PIX* pix) const { pixDestroy(&pix); }
};
using PixPtr = std::unique_ptr<PIX, PixDeleter>;

PixPtr GreyToPix(const GreyImage& grey) {
  PixPtr pix(pixCreate(grey.width, grey.height, 8));
  if (!pix) throw MediaError("cannot allocate a Leptonica image: out of memory");
  l_uint32* data = pixGetData(pix.get());
  int words_per_line = pixGetWpl(pix.get());
  for (int y = 0; y < grey.height; ++y) {
    l_uint32* line = data + static_cast<ptrdiff_t>(y) * words_per_line;
    const uint8_t* source = grey.pixels.data() + static_cast<size_t>(y) * grey.width;
    for (int x = 0; x < grey.width; ++x) SET_DATA_BYTE(line, x, source[x]);
  }
  return pix;
}

void ValidateOptions(const OcrOptions& options) {
  if (options.languages.empty()) {
    throw Error("invalid OCR languages: empty; expected Tesseract codes such as \"eng+chi_sim\"");
  }
  if (!(options.min_word_confidence >= 0 && options.min_word_confidence <= 100)) {
    throw Error(fmt::format("invalid OCR min_word_confidence {}: expected 0 to 100",
                            options.min_word_confidence));
  }
  if (!(options.min_strong_edge_fraction >= 0 && options.min_strong_edge_fraction <= 1)) {
    throw Error(fmt::format("invalid OCR min_strong_edge_fraction {}: expected 0 to 1",
                            options.min_strong_edge_fraction));
  }
  if (options.min_short_side < 0 || !(options.max_upscale >= 1) || options.max_pixels <= 0) {
    throw Error(fmt::format(
        "invalid OCR scaling: min_short_side {} (expected 0 or more), max_upscale {} (expected "
        "1 or more), max_pixels {} (expected more than 0)",
        options.min_short_side, options.max_upscale, options.max_pixels));
  }
}

// The factor the image is scaled by before recognition.
double ChooseScale(int width, int height, const OcrOptions& options) {
  double pixels = static_cast<double>(width) * height;
  if (pixels > static_cast<double>(options.max_pixels)) {
    return std::sqrt(static_cast<double>(options.max_pixels) / pixels);
  }
  int short_side = std::min(width, height);
  if (short_side >= options.min_short_side) return 1.0;
  // Whole factors: a fractional enlargement blurs every stroke edge, which
  // on the test corpus cost more words than the larger letters gained.
  double scale = std::min(std::ceil(static_cast<double>(options.min_short_side) / short_side),
                          std::floor(options.max_upscale));
  // Enlarging must not push the image over max_pixels either.
  return std::min(scale, std::sqrt(static_cast<double>(options.max_pixels) / pixels));
}

double OverlapOfSmaller(const OcrWord& a, const OcrWord& b) {
  int width = std::min(a.left + a.width, b.left + b.width) - std::max(a.left, b.left);
  int height = std::min(a.top + a.height, b.top + b.height) - std::max(a.top, b.top);
  if (width <= 0 || height <= 0) return 0;
  double smaller =
      std::min(static_cast<double>(a.width) * a.height, static_cast<double>(b.width) * b.height);
  return smaller > 0 ? static_cast<double>(width) * height / smaller : 0;
}

// Adds the words of the bright-text pass that the page pass did not find.
// Where both read a word, the page pass wins: it saw the real image, while
// the thresholded copy loses strokes that touch bright background, and its
// misreadings ("Cay" for "Centre") still score high confidence.
void MergeWords(std::vector<OcrWord>* words, std::vector<OcrWord> extra) {
  size_t page_words = words->size();
  for (OcrWord& word : extra) {
    auto end = words->begin() + static_cast<ptrdiff_t>(page_words);
    bool found = std::any_of(words->begin(), end, [&](const OcrWord& existing) {
      return OverlapOfSmaller(existing, word) >= kSameWordOverlap;
    });
    if (!found) words->push_back(std::move(word));
  }
}

std::string TrimWhitespace(const char* text) {
  std::string_view view(text);
  while (!view.empty() && std::isspace(static_cast<unsigned char>(view.front()))) {
    view.remove_prefix(1);
  }
  while (!view.empty() && std::isspace(static_cast<unsigned char>(view.back()))) {
    view.remove_suffix(1);
  }
  return std::string(view);
}

}  // namespace

struct OcrEngine::Tesseract {
  tesseract::TessBaseAPI api;

  // Runs one recognition pass over `pix` and returns its words with boxes
  // in input pixels (`scale` is the input-to-pix factor).
  std::vector<OcrWord> Recognize(PIX* pix, tesseract::PageSegMode mode, double scale,
                                 float min_confidence) {
    std::vector<OcrWord> words;
    api.SetPageSegMode(mode);
    api.SetImage(pix);
    api.SetSourceResolution(kSourceDpi);
    if (api.Recognize(nullptr) != 0) {
      spdlog::warn("ocr: Tesseract recognition failed on a {}x{} image", pixGetWidth(pix),
                   pixGetHeight(pix));
      api.Clear();
      return words;
    }
    std::unique_ptr<tesseract::ResultIterator> iterator(api.GetIterator());
    if (iterator) {
      do {
        std::unique_ptr<char[]> text(iterator->GetUTF8Text(tesseract::RIL_WORD));
        if (!text) continue;
        OcrWord word;
        word.text = TrimWhitespace(text.get());
        word.confidence = iterator->Confidence(tesseract::RIL_WORD);
        if (word.text.empty() || word.confidence < min_confidence || !HasLetterOrDigit(word.text)) {
          continue;
        }
        int left = 0, top = 0, right = 0, bottom = 0;
        iterator->BoundingBox(tesseract::RIL_WORD, &left, &top, &right, &bottom);
        word.left = static_cast<int>(std::lround(left / scale));
        word.top = static_cast<int>(std::lround(top / scale));
        word.width = static_cast<int>(std::lround((right - left) / scale));
        word.height = static_cast<int>(std::lround((bottom - top) / scale));
        words.push_back(std::move(word));
      } while (iterator->Next(tesseract::RIL_WORD));
    }
    api.Clear();
    return words;
  }
};

OcrEngine::OcrEngine(const OcrOptions& options)
    : options_(options), tesseract_(std::make_unique<Tesseract>()) {
  ValidateOptions(options);
  // Tesseract prints progress notes ("Detected 17 diacritics") through its
  // debug file, stderr by default.
  tesseract_->api.SetVariable("debug_file", "/dev/null");
  std::string data_dir = options.tessdata_dir.string();
  double start = MonotonicSeconds();
  if (tesseract_->api.Init(data_dir.empty() ? nullptr : data_dir.c_str(), options.languages.c_str(),
                           tesseract::OEM_LSTM_ONLY) != 0) {
    throw MediaError(fmt::format(
        "cannot start Tesseract OCR for languages '{}' with data folder '{}': a traineddata "
        "file is missing or unreadable; install it (Debian: tesseract-ocr-LANG) or set the "
        "data folder",
        options.languages, data_dir.empty() ? "(Tesseract default)" : data_dir));
  }
  spdlog::info("ocr: Tesseract {} loaded '{}' in {:.2f} s", tesseract::TessBaseAPI::Version(),
               options.languages, MonotonicSeconds() - start);
}

OcrEngine::~OcrEngine() { tesseract_->api.End(); }

void OcrEngine::SetOptions(const OcrOptions& options) {
  ValidateOptions(options);
  if (options.languages != options_.languages || options.tessdata_dir != options_.tessdata_dir) {
    throw Error(
        fmt::format("cannot switch an OCR engine from languages '{}' to '{}'; create "
                    "another engine",
                    options_.languages, options.languages));
  }
  options_ = options;
}

OcrResult OcrEngine::Recognize(const uint8_t* rgb, int width, int height) {
  if (rgb == nullptr || width <= 0 || height <= 0) {
    throw MediaError(fmt::format("cannot run OCR on a {}x{} image without pixels", width, height));
  }
  OcrResult result;
  GreyImage grey = RgbToGrey(rgb, width, height);
  if (options_.min_strong_edge_fraction > 0 &&
      StrongEdgeFraction(grey) < options_.min_strong_edge_fraction) {
    result.skipped = true;
    return result;
  }

  double scale = ChooseScale(width, height, options_);
  PixPtr pix = GreyToPix(grey);
  if (scale != 1.0) {
    pix.reset(pixScale(pix.get(), static_cast<l_float32>(scale), static_cast<l_float32>(scale)));
    if (!pix) throw MediaError("cannot scale an image for OCR: out of memory");
  }

  std::vector<OcrWord> words =
      tesseract_->Recognize(pix.get(), tesseract::PSM_AUTO, scale, options_.min_word_confidence);
  if (BrightFraction(grey) <= kMaxBrightFractionForCaptionPass) {
    // Bright pixels alone, as black on white: captions and signs whose
    // light letters sit on a busy or dark background, which the page
    // layout pass takes for a picture. Sparse mode finds such scattered
    // words in any order.
    PixPtr inverted(pixInvert(nullptr, pix.get()));
    PixPtr binary(inverted ? pixThresholdToBinary(inverted.get(), 256 - kBrightLevel) : nullptr);
    // Tesseract's line recogniser reads 8-bit images better than 1-bit ones.
    PixPtr mask(binary ? pixConvert1To8(nullptr, binary.get(), 255, 0) : nullptr);
    if (!mask) throw MediaError("cannot threshold an image for OCR: out of memory");
    MergeWords(&words, tesseract_->Recognize(mask.get(), tesseract::PSM_SPARSE_TEXT, scale,
                                             options_.min_word_confidence));
  }

  auto lines = GroupWordsIntoLines(std::move(words));
  result.text = JoinLines(lines);
  for (auto& line : lines) {
    for (auto& word : line) result.words.push_back(std::move(word));
  }
  return result;
}

OcrResult OcrEngine::Recognize(const RgbImage& image) {
  if (image.rgb.size() != static_cast<size_t>(image.width) * image.height * 3) {
    throw MediaError(fmt::format("cannot run OCR on a {}x{} image of {} bytes: expected {}",
                                 image.width, image.height, image.rgb.size(),
                                 static_cast<size_t>(image.width) * image.height * 3));
  }
  return Recognize(image.rgb.data(), image.width, image.height);
}

OcrResult RecognizeText(const uint8_t* rgb, int width, int height, const OcrOptions& options) {
  // Engines stay loaded for the thread's lifetime: loading one costs far
  // more than most recognitions.
  thread_local std::map<std::pair<std::string, std::string>, std::unique_ptr<OcrEngine>> engines;
  auto key = std::make_pair(options.languages, options.tessdata_dir.string());
  auto found = engines.find(key);
  if (found == engines.end()) {
    found = engines.emplace(key, std::make_unique<OcrEngine>(options)).first;
  } else {
    found->second->SetOptions(options);
  }
  return found->second->Recognize(rgb, width, height);
}

OcrResult RecognizeText(const RgbImage& image, const OcrOptions& options) {
  if (image.rgb.size() != static_cast<size_t>(image.width) * image.height * 3) {
    throw MediaError(fmt::format("cannot run OCR on a {}x{} image of {} bytes: expected {}",
                                 image.width, image.height, image.rgb.size(),
                                 static_cast<size_t>(image.width) * image.height * 3));
  }
  return RecognizeText(image.rgb.data(), image.width, image.height, options);
}

}  // namespace msearch::media

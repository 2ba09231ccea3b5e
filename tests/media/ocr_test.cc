#include "media/ocr.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "media/corpus_manifest.h"
#include "media/ffmpeg_cli.h"
#include "media/image_pixels.h"
#include "media/media_error.h"
#include "support/shared_data.h"
#include "support/temp_dir.h"

namespace msearch::media {
namespace {

using testing::CorpusEntry;

// Decodes at full size: DecodeRgb shrinks only images larger than this.
constexpr int kFullSize = 1 << 20;

// Lower-cased words with the punctuation around them removed, so "due:"
// compares equal to "due".
std::set<std::string> Words(const std::string& text) {
  std::set<std::string> words;
  std::istringstream stream(text);
  std::string word;
  while (stream >> word) {
    std::string cleaned;
    for (char c : word) {
      if (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':') {
        cleaned.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
      }
    }
    while (!cleaned.empty() && std::ispunct(static_cast<unsigned char>(cleaned.back()))) {
      cleaned.pop_back();
    }
    while (!cleaned.empty() && std::ispunct(static_cast<unsigned char>(cleaned.front()))) {
      cleaned.erase(cleaned.begin());
    }
    if (!cleaned.empty()) words.insert(cleaned);
  }
  return words;
}

std::string WithoutWhitespace(const std::string& text) {
  std::string result;
  for (char c : text) {
    if (!std::isspace(static_cast<unsigned char>(c))) result.push_back(c);
  }
  return result;
}

// Words of the manifest's text that Tesseract 5.3 does not read, by file
// name prefix, checked by hand. On the orientation photos, "top" and
// "bottom" are thin white letters with a dark outline on a white sky and
// bright water, and the large digit touches the bright waterfall. On the
// sign photo, "Wivenhoe Park" reads as "Iventioe rark". Every other
// expected word must be found.
const std::map<std::string, std::set<std::string>> kUnreadableWords = {
    {"exif_orientation_", {"top", "bottom", "2", "3", "4", "5", "6", "7", "8"}},
    {"scenetext_sports_centre_sign", {"wivenhoe", "park"}},
};

bool IsUnreadable(const CorpusEntry& entry, const std::string& word) {
  for (const auto& [prefix, words] : kUnreadableWords) {
    if (entry.FileName().starts_with(prefix) && words.count(word) != 0) return true;
  }
  return false;
}

std::vector<CorpusEntry> ImagesWithText() {
  std::vector<CorpusEntry> selected;
  for (const auto& entry : testing::CorpusEntriesOfKind({"image"})) {
    if (entry.expected.contains("text")) selected.push_back(entry);
  }
  return selected;
}

class ImageOcrTest : public ::testing::TestWithParam<CorpusEntry> {};

TEST_P(ImageOcrTest, FindsExpectedWords) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  const CorpusEntry& entry = GetParam();
  const nlohmann::json& text = entry.expected.at("text");
  bool chinese = text.at("language").get<std::string>().starts_with("zh");
  OcrOptions options;
  options.languages = chinese ? "chi_sim" : "eng";

  OcrResult result = RecognizeText(DecodeRgb(entry.FullPath(), kFullSize), options);
  EXPECT_FALSE(result.skipped);
  EXPECT_FALSE(result.words.empty());

  if (chinese) {
    std::string found = WithoutWhitespace(result.text);
    for (const auto& line : text.at("lines")) {
      std::string expected = WithoutWhitespace(line.get<std::string>());
      EXPECT_NE(found.find(expected), std::string::npos) << expected << " in " << result.text;
    }
    return;
  }
  std::set<std::string> found = Words(result.text);
  for (const auto& line : text.at("lines")) {
    for (const std::string& word : Words(line.get<std::string>())) {
      if (IsUnreadable(entry, word)) continue;
      EXPECT_TRUE(found.count(word) != 0) << "missing '" << word << "' in:\n" << result.text;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Corpus, ImageOcrTest, ::testing::ValuesIn(ImagesWithText()),
                         testing::CorpusTestName());
// Without the shared corpus there is nothing to instantiate.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(ImageOcrTest);

TEST(Ocr, VideoOverlays) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  msearch::testing::TempDir dir;
  const CorpusEntry* video = nullptr;
  for (const auto& entry : testing::CorpusEntries()) {
    if (entry.expected.contains("text_overlays")) video = &entry;
  }
  ASSERT_NE(video, nullptr) << "the manifest lists no video with text overlays";

  for (const auto& overlay : video->expected.at("text_overlays")) {
    double middle = (overlay.at("start").get<double>() + overlay.at("end").get<double>()) / 2;
    std::filesystem::path frame = dir / fmt::format("frame_{}.png", middle);
    ASSERT_TRUE(testing::RunFfmpeg({"-ss", fmt::format("{}", middle), "-i",
                                    video->FullPath().string(), "-frames:v", "1", frame.string()}));

    OcrResult result = RecognizeText(DecodeRgb(frame, kFullSize));
    std::set<std::string> found = Words(result.text);
    for (const std::string& word : Words(overlay.at("text").get<std::string>())) {
      EXPECT_TRUE(found.count(word) != 0) << "missing '" << word << "' at " << middle << " s in:\n"
                                          << result.text;
    }
  }
}

TEST(Ocr, PhotosWithoutTextAreEmpty) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  for (const char* name : {"images/cat_chelsea_baseline.jpg", "images/landscape_dune_sea.jpg",
                           "images/coffee_cup_progressive.jpg", "images/tiff_lzw_street.tif"}) {
    OcrResult result = RecognizeText(DecodeRgb(shared / "corpus" / name, kFullSize));
    EXPECT_TRUE(result.skipped) << name;
    EXPECT_TRUE(result.words.empty()) << name;
    EXPECT_EQ(result.text, "") << name;
  }
}

TEST(Ocr, PhotoWithoutPrecheckHasNoConfidentWords) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  OcrOptions options;
  options.min_strong_edge_fraction = 0;
  OcrResult result = RecognizeText(
      DecodeRgb(shared / "corpus/images/cat_chelsea_baseline.jpg", kFullSize), options);
  EXPECT_FALSE(result.skipped);
  EXPECT_TRUE(result.words.empty()) << result.text;
}

TEST(Ocr, BlankImageSkipped) {
  RgbImage blank{320, 200, std::vector<uint8_t>(320 * 200 * 3, 230)};
  OcrResult result = RecognizeText(blank);
  EXPECT_TRUE(result.skipped);
  EXPECT_TRUE(result.words.empty());
}

TEST(Ocr, CombinedLanguages) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  OcrOptions options;
  options.languages = "eng+chi_sim";
  OcrResult chinese =
      RecognizeText(DecodeRgb(shared / "corpus/images/text_zh_shanghai.png", kFullSize), options);
  EXPECT_NE(chinese.text.find("欢迎来到上海"), std::string::npos) << chinese.text;
  OcrResult english =
      RecognizeText(DecodeRgb(shared / "corpus/images/text_en_invoice.png", kFullSize), options);
  EXPECT_NE(english.text.find("Invoice 2024-0117"), std::string::npos) << english.text;
}

TEST(Ocr, WordsHaveBoxesAndConfidence) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  RgbImage image = DecodeRgb(shared / "corpus/images/text_en_invoice.png", kFullSize);
  OcrResult result = RecognizeText(image);
  ASSERT_GE(result.words.size(), 10u);
  EXPECT_EQ(result.words.front().text, "Invoice");
  EXPECT_EQ(result.text.substr(0, result.text.find('\n')), "Invoice 2024-0117");
  EXPECT_EQ(std::count(result.text.begin(), result.text.end(), '\n'), 2);
  for (const OcrWord& word : result.words) {
    EXPECT_GE(word.confidence, 60) << word.text;
    EXPECT_GE(word.left, 0) << word.text;
    EXPECT_GE(word.top, 0) << word.text;
    EXPECT_LE(word.left + word.width, image.width) << word.text;
    EXPECT_LE(word.top + word.height, image.height) << word.text;
    EXPECT_GT(word.height, 10) << word.text;
  }
}

TEST(Ocr, SmallImageUpscaled) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  // The invoice reduced to 1/3: letters about 11 pixels high.
  RgbImage small = DecodeRgb(shared / "corpus/images/text_en_invoice.png", 120);
  ASSERT_EQ(small.height, 120);
  OcrResult result = RecognizeText(small);
  std::set<std::string> found = Words(result.text);
  for (const char* word : {"invoice", "total", "march", "eur"}) {
    EXPECT_TRUE(found.count(word) != 0) << word << " in:\n" << result.text;
  }
  for (const OcrWord& word : result.words) {
    EXPECT_LE(word.top + word.height, small.height + 1) << word.text;
  }
}

TEST(Ocr, EnginePerThread) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  RgbImage image = DecodeRgb(shared / "corpus/images/text_en_invoice.png", kFullSize);
  std::string expected = RecognizeText(image).text;
  std::vector<std::string> texts(3);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < texts.size(); ++i) {
    threads.emplace_back([&, i] { texts[i] = RecognizeText(image).text; });
  }
  for (auto& thread : threads) thread.join();
  for (const auto& text : texts) EXPECT_EQ(text, expected);
}

TEST(Ocr, MissingLanguageThrows) {
  OcrOptions options;
  options.languages = "xxx_missing";
  RgbImage image{8, 8, std::vector<uint8_t>(8 * 8 * 3, 0)};
  EXPECT_THROW(RecognizeText(image, options), MediaError);
}

TEST(Ocr, InvalidInputThrows) {
  EXPECT_THROW(RecognizeText(nullptr, 10, 10), MediaError);
  RgbImage wrong_size{10, 10, std::vector<uint8_t>(10)};
  EXPECT_THROW(RecognizeText(wrong_size), MediaError);
  OcrOptions options;
  options.min_word_confidence = 101;
  RgbImage image{8, 8, std::vector<uint8_t>(8 * 8 * 3, 0)};
  EXPECT_THROW(RecognizeText(image, options), msearch::Error);
}

TEST(OcrText, LetterOrDigit) {
  EXPECT_TRUE(HasLetterOrDigit("a"));
  EXPECT_TRUE(HasLetterOrDigit("2"));
  EXPECT_TRUE(HasLetterOrDigit("(Gate"));
  EXPECT_TRUE(HasLetterOrDigit("上"));
  EXPECT_TRUE(HasLetterOrDigit("é"));
  EXPECT_FALSE(HasLetterOrDigit("~~"));
  EXPECT_FALSE(HasLetterOrDigit("—"));
  EXPECT_FALSE(HasLetterOrDigit("“|"));
  EXPECT_FALSE(HasLetterOrDigit("，。"));
  EXPECT_FALSE(HasLetterOrDigit(""));
}

OcrWord Word(const char* text, int left, int top, int width, int height) {
  return OcrWord{text, 90, left, top, width, height};
}

TEST(OcrText, GroupsLinesInReadingOrder) {
  std::vector<OcrWord> words = {Word("second", 10, 60, 80, 20), Word("line", 100, 62, 40, 18),
                                Word("First", 10, 10, 60, 22), Word("words", 80, 14, 60, 16)};
  auto lines = GroupWordsIntoLines(words);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(JoinLines(lines), "First words\nsecond line");
}

TEST(OcrText, JoinsChineseWithoutSpaces) {
  // Characters 40 pixels high: the gap of 4 is spurious, the gap of 40 real.
  std::vector<OcrWord> words = {Word("地铁", 0, 0, 80, 40),   Word("二", 84, 0, 40, 40),
                                Word("号线", 128, 0, 80, 40), Word("南京", 248, 0, 80, 40),
                                Word("East", 332, 0, 60, 40), Word("路", 396, 0, 40, 40)};
  EXPECT_EQ(JoinLines(GroupWordsIntoLines(words)), "地铁二号线 南京 East 路");
}

}  // namespace
}  // namespace msearch::media

#include "tokenizer/unicode_text.h"

#include <gtest/gtest.h>

namespace msearch::tokenizer {
namespace {

TEST(UnicodeText, Utf8RoundTrip) {
  const std::string text = "aé中🙂";
  std::u32string code_points = DecodeUtf8(text);
  EXPECT_EQ(code_points, U"aé中🙂");
  EXPECT_EQ(EncodeUtf8(code_points), text);
}

TEST(UnicodeText, InvalidUtf8BecomesReplacement) {
  EXPECT_EQ(DecodeUtf8("a\xFF"
                       "b"),
            U"a\uFFFD"
            "b");
  EXPECT_EQ(DecodeUtf8("\xE4\xB8"), U"\uFFFD");
}

TEST(UnicodeText, LowerIsFullMapping) {
  EXPECT_EQ(ToLowerFull(U"İstanbul"), U"i\u0307stanbul");
  EXPECT_EQ(ToLowerFull(U"ΣΊΣΥΦΟΣ"), U"σίσυφος");  // final sigma at the end only
  EXPECT_EQ(ToLowerFull(U"Ⅻ"), U"ⅻ");
}

TEST(UnicodeText, LowerOfCodePointHasNoFinalSigma) {
  std::u32string out;
  for (char32_t c : std::u32string(U"ΟΣ")) AppendLowerOfCodePoint(c, out);
  EXPECT_EQ(out, U"οσ");
}

TEST(UnicodeText, Normalization) {
  EXPECT_EQ(Normalize(U"cafe\u0301", NormalizationForm::kNfc), U"café");
  EXPECT_EQ(Normalize(U"é", NormalizationForm::kNfd), U"e\u0301");
  EXPECT_EQ(Normalize(U"ｶ", NormalizationForm::kNfkc), U"カ");
}

TEST(UnicodeText, CharacterClasses) {
  EXPECT_TRUE(IsLetter(U'中'));
  EXPECT_TRUE(IsNumber(U'²'));
  EXPECT_TRUE(IsNumber(U'Ⅻ'));
  EXPECT_TRUE(IsPunctuation(U'，'));
  EXPECT_FALSE(IsPunctuation(U'$'));
  EXPECT_TRUE(IsNonspacingMark(U'\u0301'));
  EXPECT_TRUE(IsOtherCategory(U'\u200B'));
  EXPECT_TRUE(IsSpaceSeparator(U'\u00A0'));
}

TEST(UnicodeText, WhitespaceDefinitions) {
  EXPECT_TRUE(IsWhiteSpace(U'\u3000'));
  EXPECT_TRUE(IsWhiteSpace(U'\u2028'));
  EXPECT_FALSE(IsWhiteSpace(U'\u200B'));
  // Python's str.isspace() adds the information separators U+001C..U+001F.
  EXPECT_FALSE(IsWhiteSpace(U'\x1C'));
  EXPECT_TRUE(IsPythonSpace(U'\x1C'));
  EXPECT_EQ(StripPythonSpace(U" \t x y\u3000"), U"x y");
}

}  // namespace
}  // namespace msearch::tokenizer

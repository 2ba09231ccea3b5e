#include "tokenizer/text_fixer.h"

#include <gtest/gtest.h>

namespace msearch::tokenizer {
namespace {

TEST(FixText, HtmlUnescapedWithoutTags) {
  EXPECT_EQ(FixText(U"&lt;b&gt;bold&lt;/b&gt;"), U"<b>bold</b>");
}

TEST(FixText, HtmlKeptFromFirstLineWithTag) {
  EXPECT_EQ(FixText(U"a &amp; b\n<p>c &amp; d\ne &amp; f"), U"a & b\n<p>c &amp; d\ne &amp; f");
}

TEST(FixText, RepeatsUntilStable) { EXPECT_EQ(FixText(U"&amp;amp;"), U"&"); }

TEST(FixText, QuotesLigaturesAndWidth) {
  EXPECT_EQ(FixText(U"“ﬁne” ‘ok’ ＡＢＣ１\u3000ｶﾀｶﾅ ŉ"), U"\"fine\" 'ok' ABC1 カタカナ 'n");
}

TEST(FixText, ControlCharactersAndEscapes) {
  EXPECT_EQ(FixText(U"a\x07"
                    "b\x1B[31mred\x1B[0m\uFEFF"),
            U"abred");
  EXPECT_EQ(FixText(U"x\u0085y"), U"x…y");  // C1 control read as Windows-1252
  EXPECT_EQ(FixText(U"a\r\nb\rc\u2028d"), U"a\nb\nc\nd");
}

TEST(FixText, NfcComposes) { EXPECT_EQ(FixText(U"e\u0301"), U"é"); }

TEST(NormalizeClipText, WhitespaceAndCase) {
  EXPECT_EQ(NormalizeClipText(U"  Hello\t\nWORLD\u00A0 "), U"hello world");
  EXPECT_EQ(NormalizeClipText(U"&nbsp;"), U"");
}

}  // namespace
}  // namespace msearch::tokenizer

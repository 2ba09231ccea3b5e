#include "tokenizer/html_unescape.h"

#include <gtest/gtest.h>

namespace msearch::tokenizer {
namespace {

TEST(HtmlUnescape, NamedEntities) {
  EXPECT_EQ(UnescapeHtml(U"Tom &amp; Jerry &lt;3 caf&eacute;"), U"Tom & Jerry <3 café");
}

TEST(HtmlUnescape, UpperCasedNames) { EXPECT_EQ(UnescapeHtml(U"&EACUTE;&AMP;"), U"É&"); }

TEST(HtmlUnescape, NumericReferences) {
  EXPECT_EQ(UnescapeHtml(U"&#39;&#x41;&#X42;"), U"'AB");
  EXPECT_EQ(UnescapeHtml(U"&#128;"), U"€");  // C1 values read as Windows-1252
  EXPECT_EQ(UnescapeHtml(U"&#0;&#xD800;&#99999999;"), U"\uFFFD\uFFFD\uFFFD");
  EXPECT_EQ(UnescapeHtml(U"a&#1;b"), U"ab");  // invalid code points vanish
}

TEST(HtmlUnescape, KeepsWhatIsNotAReference) {
  EXPECT_EQ(UnescapeHtml(U"&unknown; &amp &#12ab; &#59; &;"), U"&unknown; &amp &#12ab; &#59; &;");
  // Names longer than 24 characters are not matched at all.
  EXPECT_EQ(UnescapeHtml(U"&CounterClockwiseContourIntegral;"),
            U"&CounterClockwiseContourIntegral;");
}

}  // namespace
}  // namespace msearch::tokenizer

#include "media/utf8_text.h"

#include <gtest/gtest.h>

namespace msearch::media {
namespace {

TEST(SanitizeUtf8, KeepsValidText) {
  EXPECT_EQ(SanitizeUtf8("plain"), "plain");
  EXPECT_EQ(SanitizeUtf8("ALSA 测试 Größe"), "ALSA 测试 Größe");
  EXPECT_EQ(SanitizeUtf8("emoji \xF0\x9F\x8E\xA5"), "emoji \xF0\x9F\x8E\xA5");
  EXPECT_EQ(SanitizeUtf8(""), "");
}

TEST(SanitizeUtf8, ReadsInvalidBytesAsLatin1) {
  // "Café" in Latin-1, as ID3v1 tags store it.
  EXPECT_EQ(SanitizeUtf8("Caf\xE9"), "Caf\xC3\xA9");
  // A truncated three-byte sequence.
  EXPECT_EQ(SanitizeUtf8("a\xE6\xB5"), "a\xC3\xA6\xC2\xB5");
  // An overlong encoding of '/'.
  EXPECT_EQ(SanitizeUtf8("\xC0\xAF"), "\xC3\x80\xC2\xAF");
}

TEST(SanitizeUtf8, DropsNul) { EXPECT_EQ(SanitizeUtf8(std::string_view("ab\0c", 4)), "abc"); }

}  // namespace
}  // namespace msearch::media

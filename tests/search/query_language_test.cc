#include "search/query_language.h"

#include <gtest/gtest.h>

namespace msearch::search {
namespace {

TEST(QueryLanguage, DetectsHanCharacters) {
  EXPECT_TRUE(ContainsChinese("上海"));
  EXPECT_TRUE(ContainsChinese("photos of 日落 at the beach"));
  EXPECT_TRUE(ContainsChinese("\xF0\xA0\x80\x80"));  // U+20000, extension B
  EXPECT_FALSE(ContainsChinese("sunset at the beach"));
  EXPECT_FALSE(ContainsChinese("café naïve"));
  EXPECT_FALSE(ContainsChinese("こんにちは"));  // kana only
  EXPECT_FALSE(ContainsChinese(""));
}

TEST(QueryLanguage, SkipsInvalidUtf8) {
  EXPECT_FALSE(ContainsChinese("\xE4\xB8"));  // truncated 中
  EXPECT_TRUE(ContainsChinese("\xFF\xFE 中"));
}

TEST(QueryLanguage, FindsEnglishSoundWords) {
  EXPECT_TRUE(NamesSound("piano music"));
  EXPECT_TRUE(NamesSound("Song about the sea"));
  EXPECT_TRUE(NamesSound("BGM for the intro"));
  EXPECT_TRUE(NamesSound("team meeting, 2024"));
  EXPECT_TRUE(NamesSound("dialogue in the kitchen"));
  EXPECT_TRUE(NamesSound("a talk"));
  EXPECT_TRUE(NamesSound("speech"));
}

TEST(QueryLanguage, MatchesEnglishWholeWordsOnly) {
  EXPECT_FALSE(NamesSound("talkative parrot"));
  EXPECT_FALSE(NamesSound("musician portrait"));
  EXPECT_FALSE(NamesSound("sunset over the harbour"));
  EXPECT_FALSE(NamesSound(""));
}

TEST(QueryLanguage, FindsChineseSoundWords) {
  EXPECT_TRUE(NamesSound("轻松的背景音乐"));
  EXPECT_TRUE(NamesSound("一首歌"));
  EXPECT_TRUE(NamesSound("领导讲话"));
  EXPECT_TRUE(NamesSound("周一会议"));
  EXPECT_TRUE(NamesSound("两人对话"));
  EXPECT_TRUE(NamesSound("语音"));
  EXPECT_FALSE(NamesSound("海边日落"));
}

}  // namespace
}  // namespace msearch::search

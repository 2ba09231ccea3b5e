#include "tokenizer/special_tokens.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace msearch::tokenizer {
namespace {

// Renders segments as text, special tokens in braces with their id.
std::vector<std::string> Render(const std::vector<TextSegment>& segments) {
  std::vector<std::string> out;
  for (const TextSegment& segment : segments) {
    out.push_back(segment.special == nullptr ? std::string(segment.text)
                                             : "{" + std::to_string(segment.special->id) + "}");
  }
  return out;
}

using Parts = std::vector<std::string>;

TEST(SpecialTokens, NoStripKeepsWhitespace) {
  std::vector<SpecialToken> tokens = {{"<s>", 0, false, false}};
  EXPECT_EQ(Render(SplitOnSpecialTokens("a <s> b", tokens)), (Parts{"a ", "{0}", " b"}));
}

TEST(SpecialTokens, LstripEatsWhitespaceBefore) {
  std::vector<SpecialToken> tokens = {{"<mask>", 7, true, false}};
  EXPECT_EQ(Render(SplitOnSpecialTokens("a  <mask> b", tokens)), (Parts{"a", "{7}", " b"}));
}

TEST(SpecialTokens, PlainStringStripsBothSides) {
  std::vector<SpecialToken> tokens = {{"[CLS]", 101, true, true}};
  EXPECT_EQ(Render(SplitOnSpecialTokens("x\u3000[CLS]\t y", tokens)), (Parts{"x", "{101}", "y"}));
}

TEST(SpecialTokens, StripCanBeSkipped) {
  std::vector<SpecialToken> tokens = {{"[CLS]", 101, true, true}};
  EXPECT_EQ(Render(SplitOnSpecialTokens("x [CLS] y", tokens, /*apply_strip=*/false)),
            (Parts{"x ", "{101}", " y"}));
}

TEST(SpecialTokens, LongestMatchWins) {
  std::vector<SpecialToken> tokens = {{"<a>", 1, false, false}, {"<a>b", 2, false, false}};
  EXPECT_EQ(Render(SplitOnSpecialTokens("<a>b<a>", tokens)), (Parts{"{2}", "{1}"}));
}

TEST(SpecialTokens, AdjacentTokensAndEmptyText) {
  std::vector<SpecialToken> tokens = {{"<s>", 0, false, false}};
  EXPECT_EQ(Render(SplitOnSpecialTokens("<s><s>", tokens)), (Parts{"{0}", "{0}"}));
  EXPECT_TRUE(SplitOnSpecialTokens("", tokens).empty());
}

TEST(SpecialTokens, StripHelpers) {
  EXPECT_EQ(StripLeftPythonSpace("\xC2\xA0 x "), "x ");
  EXPECT_EQ(StripRightPythonSpace(" x\xE3\x80\x80"), " x");
}

}  // namespace
}  // namespace msearch::tokenizer

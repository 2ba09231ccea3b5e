#include "tokenizer/pre_tokenizer.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tokenizer/unicode_text.h"

namespace msearch::tokenizer {
namespace {

std::vector<std::string> Clip(const std::u32string& text) {
  std::vector<std::string> pieces;
  for (std::u32string_view piece : SplitClipPieces(text)) pieces.push_back(EncodeUtf8(piece));
  return pieces;
}

std::vector<std::string> Gpt2(const std::u32string& text) {
  std::vector<std::string> pieces;
  for (std::u32string_view piece : SplitGpt2Pieces(text)) pieces.push_back(EncodeUtf8(piece));
  return pieces;
}

using Pieces = std::vector<std::string>;

TEST(ClipPieces, WordsPunctuationAndContractions) {
  EXPECT_EQ(Clip(U"don't stop, it's 42!"),
            (Pieces{"don", "'t", "stop", ",", "it", "'s", "4", "2", "!"}));
}

TEST(ClipPieces, DigitsOnePerPiece) { EXPECT_EQ(Clip(U"v1.2"), (Pieces{"v", "1", ".", "2"})); }

TEST(ClipPieces, SpecialTokenStringsStayWhole) {
  EXPECT_EQ(Clip(U"a<|endoftext|>b"), (Pieces{"a", "<|endoftext|>", "b"}));
}

TEST(ClipPieces, ContractionMatchIgnoresCase) {
  // re.IGNORECASE folds U+017F LATIN SMALL LETTER LONG S to "s".
  EXPECT_EQ(Clip(U"x'ſ"), (Pieces{"x", "'ſ"}));
}

TEST(ClipPieces, PunctuationRunKeepsApostrophes) {
  EXPECT_EQ(Clip(U"''quoted'"), (Pieces{"''", "quoted", "'"}));
}

TEST(Gpt2Pieces, SpaceJoinsFollowingWord) {
  EXPECT_EQ(Gpt2(U"Hello world!"), (Pieces{"Hello", " world", "!"}));
}

TEST(Gpt2Pieces, WhitespaceRunLeavesLastSpace) {
  EXPECT_EQ(Gpt2(U"a   b"), (Pieces{"a", "  ", " b"}));
  EXPECT_EQ(Gpt2(U"a \tb"), (Pieces{"a", " ", "\t", "b"}));
  EXPECT_EQ(Gpt2(U"end  "), (Pieces{"end", "  "}));
}

TEST(Gpt2Pieces, ContractionsAreCaseSensitive) {
  EXPECT_EQ(Gpt2(U"it's IT'S"), (Pieces{"it", "'s", " IT", "'", "S"}));
}

TEST(Gpt2Pieces, NumbersStayTogether) {
  EXPECT_EQ(Gpt2(U"pi 3.14"), (Pieces{"pi", " 3", ".", "14"}));
}

TEST(Gpt2Pieces, CoversEveryCharacter) {
  std::u32string text = U" \n\t a'b  ''c 1\u3000 ";
  std::u32string joined;
  for (std::u32string_view piece : SplitGpt2Pieces(text)) joined += piece;
  EXPECT_EQ(joined, text);
}

}  // namespace
}  // namespace msearch::tokenizer

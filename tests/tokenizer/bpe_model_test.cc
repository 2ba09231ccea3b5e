#include "tokenizer/bpe_model.h"

#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/temp_dir.h"
#include "tokenizer/tokenizer_error.h"

namespace msearch::tokenizer {
namespace {

using msearch::testing::TempDir;

void WriteFile(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

std::vector<int32_t> EncodePiece(const BpeModel& model, const std::string& piece) {
  std::vector<int32_t> ids;
  model.Encode(piece, ids);
  return ids;
}

class BpeModelTest : public ::testing::Test {
 protected:
  BpeModel Load(const std::string& vocab, const std::string& merges, BpeOptions options) {
    WriteFile(dir_ / "vocab.json", vocab);
    WriteFile(dir_ / "merges.txt", merges);
    return BpeModel(dir_ / "vocab.json", dir_ / "merges.txt", std::move(options));
  }

  TempDir dir_;
};

BpeOptions Gpt2Options() {
  BpeOptions options;
  options.unk_token = "<unk>";
  return options;
}

const char* kGpt2Vocab =
    R"({"<unk>": 0, "a": 1, "b": 2, "c": 3, "ab": 4, "abc": 5, "\u0120": 6, "\u0120a": 7,
        "bc": 8, "\u00c3": 9, "\u00a9": 10, "\u00c3\u00a9": 11})";

TEST_F(BpeModelTest, MergesByRank) {
  BpeModel model = Load(kGpt2Vocab, "#version: 0.2\na b\nab c\n\u0120 a\n", Gpt2Options());
  EXPECT_EQ(model.merge_count(), 3u);
  EXPECT_EQ(EncodePiece(model, "abc"), (std::vector<int32_t>{5}));
  EXPECT_EQ(EncodePiece(model, "cab"), (std::vector<int32_t>{3, 4}));
  EXPECT_EQ(EncodePiece(model, " a"), (std::vector<int32_t>{7}));   // space is byte symbol U+0120
  EXPECT_EQ(EncodePiece(model, "abc"), (std::vector<int32_t>{5}));  // cached result
}

TEST_F(BpeModelTest, LowestRankFirst) {
  BpeModel model = Load(kGpt2Vocab, "#version: 0.2\nb c\na b\n\n", Gpt2Options());
  EXPECT_EQ(EncodePiece(model, "abc"), (std::vector<int32_t>{1, 8}));
}

TEST_F(BpeModelTest, RepeatedPairTakesLaterRank) {
  BpeModel model = Load(kGpt2Vocab, "#version: 0.2\na b\nb c\na b\n\n", Gpt2Options());
  EXPECT_EQ(EncodePiece(model, "abc"), (std::vector<int32_t>{1, 8}));
}

TEST_F(BpeModelTest, MultiByteCharactersUseByteSymbols) {
  BpeModel model = Load(kGpt2Vocab, "#version: 0.2\n\u00c3 \u00a9\n\n", Gpt2Options());
  EXPECT_EQ(EncodePiece(model, "\xC3\xA9"), (std::vector<int32_t>{11}));  // "é"
}

TEST_F(BpeModelTest, UnknownSymbolsMapToUnk) {
  BpeModel model = Load(kGpt2Vocab, "#version: 0.2\na b\n\n", Gpt2Options());
  EXPECT_EQ(EncodePiece(model, "xa"), (std::vector<int32_t>{0, 1}));
}

TEST_F(BpeModelTest, EndOfWordSuffix) {
  BpeOptions options;
  options.unk_token = "<unk>";
  options.end_of_word_suffix = "</w>";
  options.merges_layout = MergesLayout::kStripThenSkipHeader;
  options.whole_pieces = {"<|endoftext|>"};
  BpeModel model = Load(
      R"({"<unk>": 0, "a": 1, "b": 2, "a</w>": 3, "b</w>": 4, "ab</w>": 5, "<|endoftext|>": 6})",
      "#version: 0.2\na b</w>", options);
  EXPECT_EQ(EncodePiece(model, "ab"), (std::vector<int32_t>{5}));
  EXPECT_EQ(EncodePiece(model, "ba"), (std::vector<int32_t>{2, 3}));
  EXPECT_EQ(EncodePiece(model, "<|endoftext|>"), (std::vector<int32_t>{6}));
}

TEST_F(BpeModelTest, MaxMergesLimitsRanks) {
  BpeOptions options = Gpt2Options();
  options.merges_layout = MergesLayout::kStripThenSkipHeader;
  options.max_merges = 1;
  BpeModel model = Load(kGpt2Vocab, "#version: 0.2\na b\nab c\n", options);
  EXPECT_EQ(model.merge_count(), 1u);
  EXPECT_EQ(EncodePiece(model, "abc"), (std::vector<int32_t>{4, 3}));
}

TEST_F(BpeModelTest, RejectsMissingUnk) {
  EXPECT_THROW(Load(R"({"a": 1})", "#version: 0.2\na a\n\n", Gpt2Options()), TokenizerError);
}

TEST_F(BpeModelTest, RejectsMalformedVocab) {
  try {
    Load(R"({"<unk>": "zero"})", "#version: 0.2\na b\n\n", Gpt2Options());
    FAIL() << "expected TokenizerError";
  } catch (const TokenizerError& error) {
    EXPECT_NE(std::string(error.what()).find("vocab.json"), std::string::npos) << error.what();
  }
  EXPECT_THROW(Load("[1, 2]", "#version: 0.2\na b\n\n", Gpt2Options()), TokenizerError);
  EXPECT_THROW(Load("{not json", "#version: 0.2\na b\n\n", Gpt2Options()), TokenizerError);
}

TEST_F(BpeModelTest, RejectsEmptyMerges) {
  EXPECT_THROW(Load(kGpt2Vocab, "#version: 0.2\n", Gpt2Options()), TokenizerError);
}

}  // namespace
}  // namespace msearch::tokenizer

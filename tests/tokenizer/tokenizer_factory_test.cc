#include "tokenizer/tokenizer_factory.h"

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

// The message of the TokenizerError LoadTokenizer throws for `dir`, or
// "no error".
std::string LoadError(const std::filesystem::path& dir) {
  try {
    LoadTokenizer(dir);
  } catch (const TokenizerError& error) {
    return error.what();
  }
  return "no error";
}

void WriteBertVocab(const std::filesystem::path& dir) {
  WriteFile(dir / "vocab.txt",
            "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\n,\nwor\n##ld\ncafe\n中\n!\n");
}

TEST(LoadTokenizer, MissingFolder) {
  TempDir dir;
  EXPECT_NE(LoadError(dir / "absent").find("does not exist"), std::string::npos);
}

TEST(LoadTokenizer, FolderWithoutTokenizer) {
  TempDir dir;
  EXPECT_NE(LoadError(dir.path()).find("no tokenizer found"), std::string::npos);
}

TEST(LoadTokenizer, UnsupportedClass) {
  TempDir dir;
  WriteFile(dir / "tokenizer_config.json", R"({"tokenizer_class": "T5Tokenizer"})");
  std::string error = LoadError(dir.path());
  EXPECT_NE(error.find("T5Tokenizer"), std::string::npos) << error;
}

TEST(LoadTokenizer, MalformedConfig) {
  TempDir dir;
  WriteBertVocab(dir.path());
  WriteFile(dir / "tokenizer_config.json", R"({"do_lower_case": tru)");
  std::string error = LoadError(dir.path());
  EXPECT_NE(error.find("tokenizer_config.json"), std::string::npos) << error;
  EXPECT_NE(error.find("not valid JSON"), std::string::npos) << error;
}

TEST(LoadTokenizer, WrongOptionType) {
  TempDir dir;
  WriteBertVocab(dir.path());
  WriteFile(dir / "tokenizer_config.json", R"({"do_lower_case": "yes"})");
  EXPECT_NE(LoadError(dir.path()).find("do_lower_case"), std::string::npos);
}

TEST(LoadTokenizer, MissingVocabularyFile) {
  TempDir dir;
  WriteFile(dir / "tokenizer_config.json", R"({"tokenizer_class": "CLIPTokenizer"})");
  std::string error = LoadError(dir.path());
  EXPECT_NE(error.find("vocab.json"), std::string::npos) << error;
  EXPECT_NE(error.find("missing"), std::string::npos) << error;
}

TEST(LoadTokenizer, SpecialTokenNotInVocabulary) {
  TempDir dir;
  WriteBertVocab(dir.path());
  WriteFile(dir / "special_tokens_map.json", R"({"cls_token": "<cls>"})");
  std::string error = LoadError(dir.path());
  EXPECT_NE(error.find("'<cls>'"), std::string::npos) << error;
}

TEST(LoadTokenizer, BertFromVocabularyAlone) {
  TempDir dir;
  WriteBertVocab(dir.path());
  std::unique_ptr<Tokenizer> tokenizer = LoadTokenizer(dir.path());
  EXPECT_EQ(tokenizer->kind(), TokenizerKind::kBert);
  // Lower case, accents stripped, punctuation split, WordPiece, [UNK].
  EXPECT_EQ(tokenizer->Encode("Hello, WORLD! Café 中x [MASK]"),
            (std::vector<int32_t>{2, 5, 6, 7, 8, 11, 9, 10, 1, 4, 3}));
}

TEST(LoadTokenizer, BertKeepsCaseWhenConfigured) {
  TempDir dir;
  WriteBertVocab(dir.path());
  WriteFile(dir / "tokenizer_config.json",
            R"({"tokenizer_class": "BertTokenizer", "do_lower_case": false})");
  EXPECT_EQ(LoadTokenizer(dir.path())->Encode("Hello hello"), (std::vector<int32_t>{2, 1, 5, 3}));
}

TEST(LoadTokenizer, ClipDetectedFromVocabulary) {
  TempDir dir;
  WriteFile(dir / "vocab.json",
            R"({"<|startoftext|>": 0, "<|endoftext|>": 1, "a</w>": 2, "a": 3})");
  WriteFile(dir / "merges.txt", "#version: 0.2\na a\n");
  std::unique_ptr<Tokenizer> tokenizer = LoadTokenizer(dir.path());
  EXPECT_EQ(tokenizer->kind(), TokenizerKind::kClip);
  EXPECT_EQ(tokenizer->model_max_length(), 77);
  EXPECT_EQ(tokenizer->Encode(" A "), (std::vector<int32_t>{0, 2, 1}));
}

TEST(LoadTokenizer, RobertaDetectedFromVocabulary) {
  TempDir dir;
  WriteFile(dir / "vocab.json",
            R"({"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3, "a": 4, "\u0120a": 5, "\u0120": 6,
                "<mask>": 7})");
  WriteFile(dir / "merges.txt", "#version: 0.2\n\u0120 a\n");
  std::unique_ptr<Tokenizer> tokenizer = LoadTokenizer(dir.path());
  EXPECT_EQ(tokenizer->kind(), TokenizerKind::kRoberta);
  EXPECT_EQ(tokenizer->Encode("a a"), (std::vector<int32_t>{0, 4, 5, 2}));
  // <mask> strips the space before it; <s> does not.
  EXPECT_EQ(tokenizer->Encode("a <mask> <s>"), (std::vector<int32_t>{0, 4, 7, 6, 0, 2}));
}

TEST(EncodeForModel, TruncatesAndPads) {
  TempDir dir;
  WriteBertVocab(dir.path());
  std::unique_ptr<Tokenizer> tokenizer = LoadTokenizer(dir.path());
  Encoding short_text = tokenizer->EncodeForModel("hello", 5);
  EXPECT_EQ(short_text.input_ids, (std::vector<int32_t>{2, 5, 3, 0, 0}));
  EXPECT_EQ(short_text.attention_mask, (std::vector<int32_t>{1, 1, 1, 0, 0}));
  Encoding long_text = tokenizer->EncodeForModel("hello , hello , hello", 4);
  EXPECT_EQ(long_text.input_ids, (std::vector<int32_t>{2, 5, 6, 3}));
  EXPECT_EQ(long_text.attention_mask, (std::vector<int32_t>{1, 1, 1, 1}));
  EXPECT_THROW(tokenizer->EncodeForModel("hello", 1), TokenizerError);
}

}  // namespace
}  // namespace msearch::tokenizer

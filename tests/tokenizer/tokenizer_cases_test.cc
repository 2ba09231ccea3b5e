// Every string of the fixtures' tokenizer_cases.json, encoded without
// padding or truncation, must give exactly the reference ids.
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "fixture_files.h"
#include "support/shared_data.h"
#include "tokenizer/clip_tokenizer.h"
#include "tokenizer/text_fixer.h"
#include "tokenizer/tokenizer_factory.h"
#include "tokenizer/unicode_text.h"

namespace msearch::tokenizer {
namespace {

using msearch::testing::ModelFixtureDir;
using msearch::testing::ReadFixtureJson;

std::vector<int32_t> IdsOf(const nlohmann::json& value) {
  return value.get<std::vector<int32_t>>();
}

std::vector<std::string> TokensOf(const Tokenizer& tokenizer, const std::vector<int32_t>& ids) {
  std::vector<std::string> tokens;
  for (int32_t id : ids) tokens.emplace_back(tokenizer.TokenForId(id));
  return tokens;
}

// Encodes every case of `family` and checks ids and tokens; returns the
// number of cases checked.
size_t CheckAllCases(const std::filesystem::path& shared, const std::string& family) {
  std::filesystem::path dir = ModelFixtureDir(shared, family);
  std::unique_ptr<Tokenizer> tokenizer = LoadTokenizer(dir);
  nlohmann::json cases = ReadFixtureJson(dir / "tokenizer_cases.json")["cases"];
  for (const nlohmann::json& entry : cases) {
    const std::string text = entry["text"].get<std::string>();
    const std::vector<int32_t> expected = IdsOf(entry["ids"]);
    const std::vector<int32_t> ids = tokenizer->Encode(text);
    EXPECT_EQ(ids, expected) << family << " " << entry["id"] << " text " << entry["text"].dump();
    EXPECT_EQ(TokensOf(*tokenizer, ids), entry["tokens"].get<std::vector<std::string>>())
        << family << " " << entry["id"];
  }
  return cases.size();
}

TEST(TokenizerCases, ClipFromText) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  EXPECT_EQ(CheckAllCases(shared, "clip"), 205u);
}

TEST(TokenizerCases, ChineseClip) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  EXPECT_EQ(CheckAllCases(shared, "chinese_clip"), 205u);
}

TEST(TokenizerCases, Clap) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  EXPECT_EQ(CheckAllCases(shared, "clap"), 205u);
}

TEST(TokenizerCases, ClipNormalization) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  nlohmann::json cases =
      ReadFixtureJson(ModelFixtureDir(shared, "clip") / "tokenizer_cases.json")["cases"];
  for (const nlohmann::json& entry : cases) {
    const std::string text = entry["text"].get<std::string>();
    EXPECT_EQ(EncodeUtf8(NormalizeClipText(DecodeUtf8(text))),
              entry["normalized"].get<std::string>())
        << entry["id"] << " text " << entry["text"].dump();
  }
}

TEST(TokenizerCases, ClipBpeFromNormalized) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  std::filesystem::path dir = ModelFixtureDir(shared, "clip");
  std::unique_ptr<Tokenizer> loaded = LoadTokenizer(dir);
  const auto* clip = dynamic_cast<const ClipTokenizer*>(loaded.get());
  ASSERT_NE(clip, nullptr);
  nlohmann::json cases = ReadFixtureJson(dir / "tokenizer_cases.json")["cases"];
  for (const nlohmann::json& entry : cases) {
    std::vector<int32_t> ids = {clip->start_id()};
    clip->EncodeNormalized(DecodeUtf8(entry["normalized"].get<std::string>()), ids);
    ids.push_back(clip->end_id());
    EXPECT_EQ(ids, IdsOf(entry["ids"]))
        << entry["id"] << " normalized " << entry["normalized"].dump();
  }
}

// Several threads encoding at once (sharing the BPE cache) must get the
// same ids as one thread.
TEST(TokenizerCases, ConcurrentEncodingMatches) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  for (const std::string family : {"clip", "clap"}) {
    std::filesystem::path dir = ModelFixtureDir(shared, family);
    std::unique_ptr<Tokenizer> tokenizer = LoadTokenizer(dir);
    nlohmann::json cases = ReadFixtureJson(dir / "tokenizer_cases.json")["cases"];
    std::vector<std::string> texts;
    for (const nlohmann::json& entry : cases) texts.push_back(entry["text"].get<std::string>());

    std::vector<std::vector<std::vector<int32_t>>> results(4);
    std::vector<std::thread> threads;
    for (size_t t = 0; t < results.size(); ++t) {
      threads.emplace_back([&, t] {
        for (size_t i = 0; i < texts.size(); ++i) {
          results[t].push_back(tokenizer->Encode(texts[(i + t * 37) % texts.size()]));
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
    for (size_t t = 0; t < results.size(); ++t) {
      for (size_t i = 0; i < texts.size(); ++i) {
        EXPECT_EQ(results[t][i], IdsOf(cases[(i + t * 37) % texts.size()]["ids"]))
            << family << " thread " << t << " text " << i;
      }
    }
  }
}

// Invalid UTF-8, control bytes and fragments of special tokens are read,
// not rejected: every tokenizer returns start and end tokens around them.
TEST(TokenizerCases, ArbitraryBytesAreAccepted) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  std::mt19937 random(7);
  const std::vector<std::string> fragments = {
      "<|endof", "text|>", "[CL", "S]", "<ma", "sk>", "&amp", ";", "\xC3", "\xA9", "\xF0\x9F", " "};
  for (const std::string family : {"clip", "chinese_clip", "clap"}) {
    std::unique_ptr<Tokenizer> tokenizer = LoadTokenizer(ModelFixtureDir(shared, family));
    for (int round = 0; round < 200; ++round) {
      std::string text;
      for (int i = 0; i < 30; ++i) {
        if (random() % 3 == 0) {
          text += fragments[random() % fragments.size()];
        } else {
          text.push_back(static_cast<char>(random() % 256));
        }
      }
      std::vector<int32_t> ids = tokenizer->Encode(text);
      ASSERT_GE(ids.size(), 2u);
      EXPECT_EQ(ids.front(), tokenizer->start_id()) << family;
      EXPECT_EQ(ids.back(), tokenizer->end_id()) << family;
    }
  }
}

}  // namespace
}  // namespace msearch::tokenizer

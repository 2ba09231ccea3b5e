// The text cases of the model fixtures (cases.json), encoded with padding
// and truncation as the goldens were, must give exactly the golden
// input_ids and attention_mask.
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "fixture_files.h"
#include "golden_tensors.h"
#include "support/shared_data.h"
#include "tokenizer/tokenizer_factory.h"

namespace msearch::tokenizer {
namespace {

using msearch::testing::GoldenTensors;
using msearch::testing::ModelFixtureDir;
using msearch::testing::ReadFixtureJson;

// max_length of the recorded call "tokenizer(text, padding='max_length',
// max_length=77, truncation=True)".
int MaxLengthOfCall(const std::string& call) {
  std::smatch match;
  if (!std::regex_search(call, match, std::regex(R"(max_length=(\d+))"))) return -1;
  return std::stoi(match[1].str());
}

std::vector<int64_t> Widen(const std::vector<int32_t>& values) {
  return std::vector<int64_t>(values.begin(), values.end());
}

void CheckTextCases(const std::filesystem::path& shared, const std::string& family,
                    int expected_max_length) {
  std::filesystem::path dir = ModelFixtureDir(shared, family);
  nlohmann::json index = ReadFixtureJson(dir / "cases.json");
  const int max_length = MaxLengthOfCall(index["text_tokenization"]["call"].get<std::string>());
  ASSERT_EQ(max_length, expected_max_length);
  GoldenTensors goldens(dir / "goldens.safetensors");
  std::unique_ptr<Tokenizer> tokenizer = LoadTokenizer(dir);

  int text_cases = 0;
  int truncated_cases = 0;
  for (const nlohmann::json& entry : index["cases"]) {
    if (entry["kind"] != "text") continue;
    ++text_cases;
    const std::string id = entry["id"].get<std::string>();
    Encoding encoding =
        tokenizer->EncodeForModel(entry["input"]["text"].get<std::string>(), max_length);
    EXPECT_EQ(Widen(encoding.input_ids), goldens.Int64(id + "/input_ids")) << family << " " << id;
    EXPECT_EQ(Widen(encoding.attention_mask), goldens.Int64(id + "/attention_mask"))
        << family << " " << id;
    int real_tokens = 0;
    for (int32_t bit : encoding.attention_mask) real_tokens += bit;
    EXPECT_EQ(real_tokens, entry["num_tokens"].get<int>()) << family << " " << id;
    if (entry["truncated"].get<bool>()) ++truncated_cases;
  }
  EXPECT_EQ(text_cases, 12);
  EXPECT_EQ(truncated_cases, 1);
}

TEST(ModelTextCases, Clip) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  CheckTextCases(shared, "clip", 77);
}

TEST(ModelTextCases, ChineseClip) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  CheckTextCases(shared, "chinese_clip", 52);
}

TEST(ModelTextCases, Clap) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  CheckTextCases(shared, "clap", 77);
}

TEST(ModelTextCases, ChineseClipTokenTypesAreZero) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  std::filesystem::path dir = ModelFixtureDir(shared, "chinese_clip");
  GoldenTensors goldens(dir / "goldens.safetensors");
  for (int i = 0; i < 12; ++i) {
    std::string name = "text_" + std::string(i < 10 ? "0" : "") + std::to_string(i);
    std::vector<int64_t> types = goldens.Int64(name + "/token_type_ids");
    EXPECT_EQ(types, std::vector<int64_t>(52, 0)) << name;
  }
}

}  // namespace
}  // namespace msearch::tokenizer

// Compares both towers of the clip and chinese_clip fixtures with the
// goldens of transformers 4.27.1, with 1 and 2 threads, using the maximum
// absolute differences the fixture README recommends.

#include <cmath>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "golden_file.h"
#include "inference/clip_model.h"
#include "support/shared_data.h"

namespace msearch::inference {
namespace {

using testing::GoldenFile;
using testing::MaxAbsDiff;

constexpr double kEmbeddingsOutputTolerance = 1e-4;
constexpr double kHiddenStateTolerance = 2e-4;
constexpr double kPoolerTolerance = 5e-5;
constexpr double kEmbedsTolerance = 5e-5;
constexpr double kLogitsTolerance = 1e-4;

// Token ids and masks of one or more text cases, padded as stored.
struct TextInputs {
  int batch = 0;
  int length = 0;
  std::vector<int64_t> input_ids;
  std::vector<int64_t> attention_mask;
  std::vector<int64_t> token_type_ids;

  TextBatch View() const {
    return TextBatch{batch, length, input_ids, attention_mask, token_type_ids};
  }
};

TextInputs ReadTexts(const GoldenFile& goldens, const std::vector<std::string>& ids) {
  TextInputs inputs;
  for (const std::string& id : ids) {
    std::vector<int64_t> shape = goldens.Shape(id + "/input_ids");
    inputs.length = static_cast<int>(shape[1]);
    for (int64_t value : goldens.Ints(id + "/input_ids")) inputs.input_ids.push_back(value);
    for (int64_t value : goldens.Ints(id + "/attention_mask")) {
      inputs.attention_mask.push_back(value);
    }
    if (goldens.Contains(id + "/token_type_ids")) {
      for (int64_t value : goldens.Ints(id + "/token_type_ids")) {
        inputs.token_type_ids.push_back(value);
      }
    }
    ++inputs.batch;
  }
  return inputs;
}

std::vector<float> ReadPixels(const GoldenFile& goldens, const std::vector<std::string>& ids) {
  std::vector<float> pixels;
  for (const std::string& id : ids) {
    Tensor image = goldens.Floats(id + "/pixel_values");
    pixels.insert(pixels.end(), image.values.begin(), image.values.end());
  }
  return pixels;
}

// A [1, ...] golden compared with row `row` of a batched [B, ...] output.
Tensor Row(const Tensor& batched, int row) {
  Tensor single;
  single.shape = batched.shape;
  single.shape[0] = 1;
  auto values = batched.row(row);
  single.values.assign(values.begin(), values.end());
  return single;
}

class GoldenTest : public ::testing::TestWithParam<std::tuple<std::string, int>> {
 protected:
  void SetUp() override {
    MSEARCH_REQUIRE_SHARED_DIR(shared);
    const auto& [family, threads] = GetParam();
    model_dir_ = shared / "fixtures/models" / family;
    goldens_ = std::make_unique<GoldenFile>(model_dir_);
    model_ = ClipModel::Load(model_dir_, EngineOptions{.num_threads = threads});
  }

  std::vector<std::string> CaseIds(const std::string& kind) const {
    std::vector<std::string> ids;
    for (const auto& entry : goldens_->CasesOfKind(kind)) ids.push_back(entry["id"]);
    return ids;
  }

  std::filesystem::path model_dir_;
  std::unique_ptr<GoldenFile> goldens_;
  std::unique_ptr<ClipModel> model_;
};

TEST_P(GoldenTest, TextCases) {
  for (const std::string& id : CaseIds("text")) {
    SCOPED_TRACE(id);
    TextInputs inputs = ReadTexts(*goldens_, {id});
    TextOutputs outputs = model_->EncodeTexts(inputs.View(), /*with_hidden_states=*/true);
    EXPECT_LE(MaxAbsDiff(outputs.last_hidden_state, goldens_->Floats(id + "/last_hidden_state")),
              kHiddenStateTolerance);
    if (goldens_->Contains(id + "/pooler_output")) {
      EXPECT_LE(MaxAbsDiff(outputs.pooler_output, goldens_->Floats(id + "/pooler_output")),
                kPoolerTolerance);
    }
    EXPECT_LE(MaxAbsDiff(outputs.text_embeds, goldens_->Floats(id + "/text_embeds")),
              kEmbedsTolerance);
  }
}

TEST_P(GoldenTest, TextEmbeddingsCutPadding) {
  for (const std::string& id : CaseIds("text")) {
    SCOPED_TRACE(id);
    TextInputs inputs = ReadTexts(*goldens_, {id});
    EXPECT_LE(
        MaxAbsDiff(model_->TextEmbeddings(inputs.View()), goldens_->Floats(id + "/text_embeds")),
        kEmbedsTolerance);
  }
}

TEST_P(GoldenTest, ImageCases) {
  for (const std::string& id : CaseIds("image")) {
    SCOPED_TRACE(id);
    std::vector<float> pixels = ReadPixels(*goldens_, {id});
    VisionOutputs outputs = model_->EncodeImages(pixels, 1, /*with_hidden_states=*/true);
    EXPECT_LE(MaxAbsDiff(outputs.embeddings_output, goldens_->Floats(id + "/embeddings_output")),
              kEmbeddingsOutputTolerance);
    EXPECT_LE(MaxAbsDiff(outputs.last_hidden_state, goldens_->Floats(id + "/last_hidden_state")),
              kHiddenStateTolerance);
    EXPECT_LE(MaxAbsDiff(outputs.pooler_output, goldens_->Floats(id + "/pooler_output")),
              kPoolerTolerance);
    EXPECT_LE(MaxAbsDiff(outputs.image_embeds, goldens_->Floats(id + "/image_embeds")),
              kEmbedsTolerance);
  }
}

TEST_P(GoldenTest, BatchLogits) {
  const std::vector<std::string> texts = CaseIds("text");
  const std::vector<std::string> images = CaseIds("image");
  TextInputs inputs = ReadTexts(*goldens_, texts);
  std::vector<float> pixels = ReadPixels(*goldens_, images);

  Tensor text = model_->EmbedTexts(inputs.View());
  Tensor image = model_->EmbedImages(pixels, static_cast<int>(images.size()));
  EXPECT_EQ(model_->logit_scale(), goldens_->Floats("batch/logit_scale").values.at(0));

  Tensor logits({static_cast<int64_t>(texts.size()), static_cast<int64_t>(images.size())});
  for (size_t t = 0; t < texts.size(); ++t) {
    for (size_t i = 0; i < images.size(); ++i) {
      double dot = 0;
      for (int k = 0; k < model_->embedding_dim(); ++k) {
        dot += static_cast<double>(text.row(t)[k]) * image.row(i)[k];
      }
      logits.row(t)[i] = static_cast<float>(model_->logit_scale_exp() * dot);
    }
  }
  EXPECT_LE(MaxAbsDiff(logits, goldens_->Floats("batch/logits_per_text")), kLogitsTolerance);
}

TEST_P(GoldenTest, BatchedTextsMatchSingle) {
  const std::vector<std::string> texts = CaseIds("text");
  TextOutputs batched =
      model_->EncodeTexts(ReadTexts(*goldens_, texts).View(), /*with_hidden_states=*/true);
  ASSERT_EQ(batched.text_embeds.shape[0], static_cast<int64_t>(texts.size()));
  for (size_t t = 0; t < texts.size(); ++t) {
    SCOPED_TRACE(texts[t]);
    EXPECT_LE(MaxAbsDiff(Row(batched.text_embeds, static_cast<int>(t)),
                         goldens_->Floats(texts[t] + "/text_embeds")),
              kEmbedsTolerance);
    EXPECT_LE(MaxAbsDiff(Row(batched.last_hidden_state, static_cast<int>(t)),
                         goldens_->Floats(texts[t] + "/last_hidden_state")),
              kHiddenStateTolerance);
  }
  // Cutting the padding of a mixed-length batch keeps every row.
  Tensor cut = model_->TextEmbeddings(ReadTexts(*goldens_, texts).View());
  EXPECT_LE(MaxAbsDiff(cut, batched.text_embeds), 1e-5);
}

TEST_P(GoldenTest, BatchedImagesMatchSingle) {
  const std::vector<std::string> images = CaseIds("image");
  VisionOutputs batched =
      model_->EncodeImages(ReadPixels(*goldens_, images), static_cast<int>(images.size()), true);
  for (size_t i = 0; i < images.size(); ++i) {
    SCOPED_TRACE(images[i]);
    EXPECT_LE(MaxAbsDiff(Row(batched.image_embeds, static_cast<int>(i)),
                         goldens_->Floats(images[i] + "/image_embeds")),
              kEmbedsTolerance);
    EXPECT_LE(MaxAbsDiff(Row(batched.last_hidden_state, static_cast<int>(i)),
                         goldens_->Floats(images[i] + "/last_hidden_state")),
              kHiddenStateTolerance);
  }
}

// ImageEmbeddings skips the last block's work for every token but the class
// token, which must leave the embeddings as they are.
TEST_P(GoldenTest, ImageEmbeddingsSkipUnusedTokens) {
  const std::vector<std::string> images = CaseIds("image");
  Tensor embeddings =
      model_->ImageEmbeddings(ReadPixels(*goldens_, images), static_cast<int>(images.size()));
  ASSERT_EQ(embeddings.shape[0], static_cast<int64_t>(images.size()));
  for (size_t i = 0; i < images.size(); ++i) {
    SCOPED_TRACE(images[i]);
    EXPECT_LE(MaxAbsDiff(Row(embeddings, static_cast<int>(i)),
                         goldens_->Floats(images[i] + "/image_embeds")),
              kEmbedsTolerance);
  }
}

TEST_P(GoldenTest, EmbeddingsAreUnitLength) {
  const std::vector<std::string> images = CaseIds("image");
  Tensor image =
      model_->EmbedImages(ReadPixels(*goldens_, images), static_cast<int>(images.size()));
  for (int64_t row = 0; row < image.shape[0]; ++row) {
    double squares = 0;
    for (float value : image.row(row)) squares += static_cast<double>(value) * value;
    EXPECT_NEAR(std::sqrt(squares), 1.0, 1e-6);
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, GoldenTest,
                         ::testing::Combine(::testing::Values("clip", "chinese_clip"),
                                            ::testing::Values(1, 2)),
                         [](const auto& test_info) {
                           return std::get<0>(test_info.param) + "_threads" +
                                  std::to_string(std::get<1>(test_info.param));
                         });

}  // namespace
}  // namespace msearch::inference

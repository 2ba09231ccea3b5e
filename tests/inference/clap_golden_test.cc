// Compares ClapModel with the goldens of transformers 4.27.1 for the clap
// fixture (token ids, audio and text towers, logits), with 1 and 2 threads,
// using the maximum absolute differences the fixture README recommends.

#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "golden_file.h"
#include "inference/clap_model.h"
#include "inference/model_error.h"
#include "inference/model_loader.h"
#include "support/shared_data.h"
#include "tokenizer/tokenizer_factory.h"

namespace msearch::inference {
namespace {

using testing::GoldenFile;
using testing::MaxAbsDiff;

constexpr double kMelImageTolerance = 2e-3;
constexpr double kHiddenStateTolerance = 2e-4;
constexpr double kPoolerTolerance = 5e-5;
constexpr double kEmbedsTolerance = 5e-5;
constexpr double kEndToEndEmbedsTolerance = 1e-4;
constexpr double kLogitsTolerance = 1e-4;
constexpr int kTextLength = 77;

struct TextInputs {
  int batch = 0;
  int length = 0;
  std::vector<int64_t> input_ids;
  std::vector<int64_t> attention_mask;

  TextBatch View() const { return TextBatch{batch, length, input_ids, attention_mask, {}}; }
};

TextInputs ReadTexts(const GoldenFile& goldens, const std::vector<std::string>& ids) {
  TextInputs inputs;
  for (const std::string& id : ids) {
    inputs.length = static_cast<int>(goldens.Shape(id + "/input_ids")[1]);
    for (int64_t value : goldens.Ints(id + "/input_ids")) inputs.input_ids.push_back(value);
    for (int64_t value : goldens.Ints(id + "/attention_mask")) {
      inputs.attention_mask.push_back(value);
    }
    ++inputs.batch;
  }
  return inputs;
}

std::vector<float> ReadFeatures(const GoldenFile& goldens, const std::vector<std::string>& ids) {
  std::vector<float> features;
  for (const std::string& id : ids) {
    Tensor input = goldens.Floats(id + "/input_features");
    features.insert(features.end(), input.values.begin(), input.values.end());
  }
  return features;
}

Tensor Row(const Tensor& batched, int row) {
  Tensor single;
  single.shape = batched.shape;
  single.shape[0] = 1;
  auto values = batched.row(row);
  single.values.assign(values.begin(), values.end());
  return single;
}

Tensor Normalized(Tensor tensor) {
  L2NormalizeRows(tensor);
  return tensor;
}

class ClapGoldenTest : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    MSEARCH_REQUIRE_SHARED_DIR(shared);
    model_dir_ = shared / "fixtures/models/clap";
    goldens_ = std::make_unique<GoldenFile>(model_dir_);
    model_ = ClapModel::Load(model_dir_, EngineOptions{.num_threads = GetParam()});
  }

  std::vector<std::string> CaseIds(const std::string& kind) const {
    std::vector<std::string> ids;
    for (const auto& entry : goldens_->CasesOfKind(kind)) ids.push_back(entry["id"]);
    return ids;
  }

  std::filesystem::path model_dir_;
  std::unique_ptr<GoldenFile> goldens_;
  std::unique_ptr<ClapModel> model_;
};

TEST_P(ClapGoldenTest, TokenIds) {
  std::unique_ptr<tokenizer::Tokenizer> tokenizer = tokenizer::LoadTokenizer(model_dir_);
  for (const auto& entry : goldens_->CasesOfKind("text")) {
    const std::string id = entry["id"];
    SCOPED_TRACE(id);
    const std::string text = entry["input"]["text"];
    tokenizer::Encoding encoding = tokenizer->EncodeForModel(text, kTextLength);
    std::vector<int64_t> ids(encoding.input_ids.begin(), encoding.input_ids.end());
    std::vector<int64_t> mask(encoding.attention_mask.begin(), encoding.attention_mask.end());
    EXPECT_EQ(ids, goldens_->Ints(id + "/input_ids"));
    EXPECT_EQ(mask, goldens_->Ints(id + "/attention_mask"));
  }
}

TEST_P(ClapGoldenTest, TextCases) {
  double worst_embeds = 0;
  for (const std::string& id : CaseIds("text")) {
    SCOPED_TRACE(id);
    TextInputs inputs = ReadTexts(*goldens_, {id});
    TextOutputs outputs = model_->EncodeTexts(inputs.View(), /*with_hidden_states=*/true);
    EXPECT_LE(MaxAbsDiff(outputs.last_hidden_state, goldens_->Floats(id + "/last_hidden_state")),
              kHiddenStateTolerance);
    EXPECT_LE(MaxAbsDiff(outputs.pooler_output, goldens_->Floats(id + "/pooler_output")),
              kPoolerTolerance);
    const double diff = MaxAbsDiff(outputs.text_embeds, goldens_->Floats(id + "/text_embeds"));
    EXPECT_LE(diff, kEmbedsTolerance);
    worst_embeds = std::max(worst_embeds, diff);
    EXPECT_LE(
        MaxAbsDiff(model_->TextEmbeddings(inputs.View()), goldens_->Floats(id + "/text_embeds")),
        kEmbedsTolerance);
  }
  std::printf("text_embeds worst max abs diff %.3g\n", worst_embeds);
}

TEST_P(ClapGoldenTest, AudioCases) {
  for (const std::string& id : CaseIds("audio")) {
    SCOPED_TRACE(id);
    std::vector<float> features = ReadFeatures(*goldens_, {id});
    AudioOutputs outputs = model_->EncodeAudio(features, 1, 1, 1001, /*with_hidden_states=*/true);
    if (goldens_->Contains(id + "/mel_image")) {
      const double mel = MaxAbsDiff(outputs.mel_image, goldens_->Floats(id + "/mel_image"));
      const double patches =
          MaxAbsDiff(outputs.patch_embeddings, goldens_->Floats(id + "/patch_embeddings"));
      EXPECT_LE(mel, kMelImageTolerance);
      EXPECT_LE(patches, kMelImageTolerance);
      std::printf("%s mel_image %.3g patch_embeddings %.3g\n", id.c_str(), mel, patches);
    }
    const double hidden =
        MaxAbsDiff(outputs.last_hidden_state, goldens_->Floats(id + "/last_hidden_state"));
    const double pooler =
        MaxAbsDiff(outputs.pooler_output, goldens_->Floats(id + "/pooler_output"));
    const double embeds = MaxAbsDiff(outputs.audio_embeds, goldens_->Floats(id + "/audio_embeds"));
    EXPECT_LE(hidden, kHiddenStateTolerance);
    EXPECT_LE(pooler, kPoolerTolerance);
    EXPECT_LE(embeds, kEmbedsTolerance);
    std::printf("%s last_hidden_state %.3g pooler %.3g audio_embeds %.3g\n", id.c_str(), hidden,
                pooler, embeds);
  }
}

TEST_P(ClapGoldenTest, AudioFromWaveform) {
  for (const std::string& id : CaseIds("audio")) {
    SCOPED_TRACE(id);
    const Tensor waveform = goldens_->Floats(id + "/waveform_48k");
    Tensor features = model_->ExtractFeatures(waveform.values);
    AudioOutputs outputs = model_->EncodeAudio(features.values, 1, 1, 1001, false);
    const Tensor expected = goldens_->Floats(id + "/audio_embeds");
    const double diff = MaxAbsDiff(outputs.audio_embeds, expected);
    EXPECT_LE(diff, kEndToEndEmbedsTolerance);
    std::printf("%s audio_embeds from waveform %.3g\n", id.c_str(), diff);

    WaveformEmbeddings embedded = model_->EmbedWaveform(waveform.values, 48000);
    ASSERT_EQ(embedded.segments.size(), 1u);
    EXPECT_EQ(embedded.segments[0].start_seconds, 0.0);
    EXPECT_NEAR(embedded.segments[0].end_seconds, waveform.values.size() / 48000.0, 1e-9);
    EXPECT_LE(MaxAbsDiff(embedded.embeddings, Normalized(expected)), kEndToEndEmbedsTolerance);
  }
}

TEST_P(ClapGoldenTest, BatchLogits) {
  const std::vector<std::string> texts = CaseIds("text");
  const std::vector<std::string> audios = CaseIds("audio");
  Tensor text = model_->EmbedTexts(ReadTexts(*goldens_, texts).View());
  Tensor audio =
      model_->EmbedAudio(ReadFeatures(*goldens_, audios), static_cast<int>(audios.size()));
  EXPECT_EQ(model_->logit_scale_text(), goldens_->Floats("batch/logit_scale_t").values.at(0));
  EXPECT_EQ(model_->logit_scale_audio(), goldens_->Floats("batch/logit_scale_a").values.at(0));

  const auto t_count = static_cast<int64_t>(texts.size());
  const auto a_count = static_cast<int64_t>(audios.size());
  Tensor per_text({t_count, a_count});
  Tensor per_audio({a_count, t_count});
  for (int64_t t = 0; t < t_count; ++t) {
    for (int64_t a = 0; a < a_count; ++a) {
      double dot = 0;
      for (int k = 0; k < model_->embedding_dim(); ++k) {
        dot += static_cast<double>(text.row(t)[k]) * audio.row(a)[k];
      }
      per_text.row(t)[a] = static_cast<float>(std::exp(model_->logit_scale_text()) * dot);
      per_audio.row(a)[t] = static_cast<float>(std::exp(model_->logit_scale_audio()) * dot);
    }
  }
  EXPECT_FLOAT_EQ(model_->logit_scale_exp(), std::exp(model_->logit_scale_text()));
  const double text_diff = MaxAbsDiff(per_text, goldens_->Floats("batch/logits_per_text"));
  const double audio_diff = MaxAbsDiff(per_audio, goldens_->Floats("batch/logits_per_audio"));
  EXPECT_LE(text_diff, kLogitsTolerance);
  EXPECT_LE(audio_diff, kLogitsTolerance);
  std::printf("logits_per_text %.3g logits_per_audio %.3g\n", text_diff, audio_diff);
}

TEST_P(ClapGoldenTest, BatchedMatchesSingle) {
  const std::vector<std::string> audios = CaseIds("audio");
  AudioOutputs batched = model_->EncodeAudio(ReadFeatures(*goldens_, audios),
                                             static_cast<int>(audios.size()), 1, 1001, true);
  for (size_t i = 0; i < audios.size(); ++i) {
    SCOPED_TRACE(audios[i]);
    EXPECT_LE(MaxAbsDiff(Row(batched.audio_embeds, static_cast<int>(i)),
                         goldens_->Floats(audios[i] + "/audio_embeds")),
              kEmbedsTolerance);
    EXPECT_LE(MaxAbsDiff(Row(batched.last_hidden_state, static_cast<int>(i)),
                         goldens_->Floats(audios[i] + "/last_hidden_state")),
              kHiddenStateTolerance);
  }
  const std::vector<std::string> texts = CaseIds("text");
  TextOutputs text = model_->EncodeTexts(ReadTexts(*goldens_, texts).View(), false);
  for (size_t t = 0; t < texts.size(); ++t) {
    SCOPED_TRACE(texts[t]);
    EXPECT_LE(MaxAbsDiff(Row(text.text_embeds, static_cast<int>(t)),
                         goldens_->Floats(texts[t] + "/text_embeds")),
              kEmbedsTolerance);
  }
}

TEST_P(ClapGoldenTest, LongWaveformWindows) {
  // 25 s: windows [0, 10), [10, 20) and the last 10 s [15, 25).
  const Tensor speech = goldens_->Floats("audio_02/waveform_48k");
  std::vector<float> samples(25 * 48000);
  for (size_t i = 0; i < samples.size(); ++i) {
    samples[i] = speech.values[i % speech.values.size()] * (i < 12 * 48000 ? 1.0f : 0.5f);
  }
  WaveformEmbeddings embedded = model_->EmbedWaveform(samples, 48000);
  ASSERT_EQ(embedded.segments.size(), 3u);
  ASSERT_EQ(embedded.embeddings.shape[0], 3);
  const double starts[] = {0, 10, 15};
  for (int i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    EXPECT_DOUBLE_EQ(embedded.segments[i].start_seconds, starts[i]);
    EXPECT_DOUBLE_EQ(embedded.segments[i].end_seconds, starts[i] + 10);
    const auto begin = samples.begin() + static_cast<int64_t>(starts[i] * 48000);
    std::vector<float> window(begin, begin + 10 * 48000);
    WaveformEmbeddings single = model_->EmbedWaveform(window, 48000);
    EXPECT_LE(MaxAbsDiff(Row(embedded.embeddings, i), single.embeddings), 1e-6);
  }
  // Different content gives different vectors.
  double dot = 0;
  for (int k = 0; k < model_->embedding_dim(); ++k) {
    dot += embedded.embeddings.row(0)[k] * embedded.embeddings.row(1)[k];
  }
  EXPECT_LT(dot, 0.9999);
}

TEST_P(ClapGoldenTest, RejectsBadAudio) {
  std::vector<float> samples(1000, 0.1f);
  EXPECT_THROW(model_->EmbedWaveform(samples, 16000), ModelError);
  EXPECT_THROW(model_->EmbedWaveform({}, 48000), ModelError);
  std::vector<float> features(1001 * 64, 0.0f);
  EXPECT_THROW(model_->EncodeAudio(features, 2, 1, 1001, false), ModelError);
  EXPECT_THROW(model_->EncodeAudio(features, 1, 4, 1001, false), ModelError);
  features[17] = std::nanf("");
  EXPECT_THROW(model_->EncodeAudio(features, 1, 1, 1001, false), ModelError);
}

TEST_P(ClapGoldenTest, LoaderReturnsClap) {
  std::unique_ptr<EmbeddingModel> model =
      LoadEmbeddingModel(model_dir_, EngineOptions{.num_threads = GetParam()});
  EXPECT_EQ(model->info().family, "clap");
  EXPECT_TRUE(model->Supports(Modality::kAudio));
  EXPECT_TRUE(model->Supports(Modality::kText));
  EXPECT_FALSE(model->Supports(Modality::kImage));
  EXPECT_EQ(model->info().audio_sample_rate, 48000);
  EXPECT_EQ(model->embedding_dim(), 48);
  EXPECT_EQ(model->info().max_text_length, 512);
  std::vector<float> pixels(3 * 224 * 224);
  EXPECT_THROW(model->EmbedImages(pixels, 1), ModelError);
}

INSTANTIATE_TEST_SUITE_P(Threads, ClapGoldenTest, ::testing::Values(1, 2),
                         [](const auto& test_info) {
                           return "threads" + std::to_string(test_info.param);
                         });

}  // namespace
}  // namespace msearch::inference

// Tests of `msearch inspect` and `msearch embed`, run as real processes on
// corpus files and fixture checkpoints.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>

#include "inference/safetensors.h"
#include "process_runner.h"
#include "support/shared_data.h"
#include "support/temp_dir.h"

namespace msearch::cli {
namespace {

namespace fs = std::filesystem;

// FFmpeg's stereo down-mix and 16-bit conversion differ from the
// reference's libsndfile and NumPy in the last bits; the embedding moves
// less than this.
constexpr double kAudioTolerance = 1e-3;

class MediaCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = temp_ / "config.yml";
    testing::WriteFile(config_, "storage:\n  data_dir: " +
                                    nlohmann::json((temp_ / "data").string()).dump() + "\n");
  }

  nlohmann::json MsearchJson(std::vector<std::string> args, int expected_exit_code = 0) {
    args.insert(args.begin(), {"--config", config_.string()});
    testing::CommandResult result = testing::RunCommand(testing::MsearchBinary(), args);
    EXPECT_EQ(result.exit_code, expected_exit_code) << result.err;
    nlohmann::json json = nlohmann::json::parse(result.out, nullptr, false);
    EXPECT_FALSE(json.is_discarded()) << "stdout is not JSON:\n" << result.out << result.err;
    return json;
  }

  // The golden embedding `name` of a fixture, scaled to unit length as the
  // command prints it.
  static std::vector<float> GoldenUnit(const fs::path& family, const std::string& name) {
    inference::SafetensorsFile goldens(family / "goldens.safetensors");
    std::vector<float> values = goldens.ReadFloats(goldens.Info(name));
    double norm = 0;
    for (float value : values) norm += static_cast<double>(value) * value;
    for (float& value : values) value = static_cast<float>(value / std::sqrt(norm));
    return values;
  }

  static double MaxDifference(const nlohmann::json& printed, const std::vector<float>& expected) {
    EXPECT_EQ(printed.size(), expected.size());
    double worst = 0;
    for (size_t i = 0; i < expected.size() && i < printed.size(); ++i) {
      worst = std::max(worst, std::abs(printed[i].get<double>() - expected[i]));
    }
    return worst;
  }

  struct EmbedRun {
    nlohmann::json output;
    double peak_resident_mib = 0;  // VmHWM, read while the process runs
  };

  // Runs `msearch embed --audio FILE --json` with `model`, reading its peak
  // resident memory from /proc every 10 ms until it exits.
  EmbedRun EmbedWithPeakMemory(const fs::path& model, const fs::path& audio) {
    fs::path output = temp_ / "embed.json";
    testing::SpawnOptions options;
    options.stdout_path = output;
    options.stderr_path = temp_ / "embed.err";
    testing::SpawnedProcess process(testing::MsearchBinary(),
                                    {"--config", config_.string(), "embed", "--model",
                                     model.string(), "--audio", audio.string(), "--json"},
                                    options);
    EmbedRun run;
    std::optional<int> status;
    for (int polls = 0; !status && polls < 30000; ++polls) {
      std::ifstream proc_status("/proc/" + std::to_string(process.pid()) + "/status");
      std::string line;
      while (std::getline(proc_status, line)) {
        if (line.rfind("VmHWM:", 0) == 0) {
          run.peak_resident_mib =
              std::max(run.peak_resident_mib, std::stod(line.substr(6)) / 1024.0);
        }
      }
      status = process.Wait(std::chrono::milliseconds(10));
    }
    EXPECT_TRUE(status.has_value()) << "msearch embed of " << audio << " did not exit";
    if (status) {
      EXPECT_TRUE(WIFEXITED(*status)) << "msearch embed of " << audio << " was killed";
      if (WIFEXITED(*status)) {
        EXPECT_EQ(WEXITSTATUS(*status), 0) << "msearch embed of " << audio;
      }
    }
    std::ifstream printed(output);
    run.output = nlohmann::json::parse(printed, nullptr, false);
    return run;
  }

  msearch::testing::TempDir temp_;
  fs::path config_;
};

TEST_F(MediaCommandsTest, InspectVideoWithCuts) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  fs::path video = shared / "corpus/video/scene_cuts_2_4_6.mp4";
  nlohmann::json report = MsearchJson({"inspect", video.string(), "--json", "--no-ocr"});

  EXPECT_EQ(report["path"], video.string());
  EXPECT_EQ(report["kind"], "video");
  EXPECT_EQ(report["info"]["width"], 320);
  EXPECT_EQ(report["info"]["height"], 240);
  EXPECT_EQ(report["content_hash"].get<std::string>().rfind("s1:", 0), 0u);
  EXPECT_EQ(report["full_hash"].get<std::string>().rfind("sha256:", 0), 0u);
  const nlohmann::json& segments = report["analysis"]["video"]["segments"];
  ASSERT_EQ(segments.size(), 4u) << segments.dump();
  const double cuts[] = {0, 2, 4, 6};
  for (size_t i = 0; i < segments.size(); ++i) {
    EXPECT_NEAR(segments[i]["start"].get<double>(), cuts[i], 0.5) << "segment " << i;
    EXPECT_EQ(segments[i]["perceptual_hash"].get<std::string>().size(), 16u);
  }
  EXPECT_NEAR(segments.back()["end"].get<double>(), 8.0, 0.1);
  EXPECT_GT(report["analysis"]["fingerprint"]["items"].get<int>(), 0);
  EXPECT_EQ(report["analysis"]["audio"]["windows"].size(), 1u);
}

TEST_F(MediaCommandsTest, InspectReadsTextInImages) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  nlohmann::json reports =
      MsearchJson({"inspect", (shared / "corpus/images/text_en_invoice.png").string(),
                   (shared / "corpus/images/text_zh_shanghai.png").string(), "--json"});
  ASSERT_TRUE(reports.is_array());
  ASSERT_EQ(reports.size(), 2u);
  std::string english = reports[0]["analysis"]["texts"][0]["text"].get<std::string>();
  EXPECT_NE(english.find("Invoice"), std::string::npos) << english;
  EXPECT_NE(english.find("348.50"), std::string::npos) << english;
  std::string chinese = reports[1]["analysis"]["texts"][0]["text"].get<std::string>();
  EXPECT_NE(chinese.find("上海"), std::string::npos) << chinese;
}

TEST_F(MediaCommandsTest, InspectRotatedVideoIsUpright) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  nlohmann::json report = MsearchJson(
      {"inspect", (shared / "corpus/video/rotated_90.mp4").string(), "--json", "--no-ocr"});
  const nlohmann::json& info = report["info"];
  EXPECT_EQ(info["rotation"], 90);
  EXPECT_LT(info["width"].get<int>(), info["height"].get<int>());
  const nlohmann::json& video = report["analysis"]["video"];
  EXPECT_EQ(video["width"], info["width"]);
  EXPECT_EQ(video["height"], info["height"]);
}

TEST_F(MediaCommandsTest, InspectBrokenFileNamesIt) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  fs::path broken = shared / "corpus/broken/truncated_no_moov.mp4";
  nlohmann::json report = MsearchJson({"inspect", broken.string(), "--json"}, 1);
  ASSERT_TRUE(report.contains("error")) << report.dump();
  EXPECT_NE(report["error"].get<std::string>().find("truncated_no_moov.mp4"), std::string::npos);

  nlohmann::json unsupported =
      MsearchJson({"inspect", (temp_ / "notes.txt").string(), "--json"}, 1);
  EXPECT_NE(unsupported["error"].get<std::string>().find("notes.txt"), std::string::npos);
}

TEST_F(MediaCommandsTest, EmbedMatchesReferenceVectors) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  fs::path clip = shared / "fixtures/models/clip";
  nlohmann::json result =
      MsearchJson({"embed", "--model", clip.string(), "--text", "a photo of a cat", "--image",
                   (clip / "inputs/landscape.jpg").string(), "--text", "a photo of a cat",
                   "--threads", "2", "--json"});
  EXPECT_EQ(result["family"], "clip");
  const nlohmann::json& embeddings = result["embeddings"];
  ASSERT_EQ(embeddings.size(), 3u);
  EXPECT_EQ(embeddings[0]["kind"], "text");
  EXPECT_EQ(embeddings[1]["kind"], "image");
  EXPECT_LT(MaxDifference(embeddings[0]["vector"], GoldenUnit(clip, "text_00/text_embeds")), 1e-4);
  EXPECT_LT(MaxDifference(embeddings[1]["vector"], GoldenUnit(clip, "image_00/image_embeds")),
            1e-4);
  EXPECT_EQ(embeddings[2]["vector"], embeddings[0]["vector"]);
}

TEST_F(MediaCommandsTest, EmbedChineseText) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  fs::path model = shared / "fixtures/models/chinese_clip";
  nlohmann::json cases = nlohmann::json::parse(std::ifstream(model / "cases.json"));
  std::string text = cases["cases"][0]["input"]["text"];
  nlohmann::json result =
      MsearchJson({"embed", "--model", model.string(), "--text", text, "--json"});
  ASSERT_EQ(result["embeddings"].size(), 1u);
  EXPECT_LT(
      MaxDifference(result["embeddings"][0]["vector"], GoldenUnit(model, "text_00/text_embeds")),
      1e-4);
}

TEST_F(MediaCommandsTest, EmbedAudioAndTextWithClap) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  fs::path clap = shared / "fixtures/models/clap";
  // A 48 kHz file, so no resampling separates msearch from the reference.
  nlohmann::json result = MsearchJson({"embed", "--model", clap.string(), "--audio",
                                       (clap / "inputs/tone_noise.wav").string(), "--text",
                                       "the sound of a dog barking", "--json"});
  EXPECT_EQ(result["family"], "clap");
  const nlohmann::json& embeddings = result["embeddings"];
  ASSERT_EQ(embeddings.size(), 2u) << result.dump();
  EXPECT_EQ(embeddings[0]["kind"], "audio");
  EXPECT_DOUBLE_EQ(embeddings[0]["start"].get<double>(), 0.0);
  EXPECT_NEAR(embeddings[0]["end"].get<double>(), 2.5, 0.01);
  EXPECT_LT(MaxDifference(embeddings[0]["vector"], GoldenUnit(clap, "audio_01/audio_embeds")),
            kAudioTolerance);
  EXPECT_EQ(embeddings[1]["kind"], "text");
  EXPECT_LT(MaxDifference(embeddings[1]["vector"], GoldenUnit(clap, "text_00/text_embeds")), 1e-4);
}

TEST_F(MediaCommandsTest, EmbedLongAudioInChunks) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  fs::path clap = shared / "fixtures/models/clap";
  // A 400 s chirp at 48 kHz (77 MB of float samples) spans four 100 s chunks.
  // The clip is the 10 s that start at 100 s, cut at the exact sample.
  fs::path long_audio = temp_ / "chirp.wav";
  fs::path clip = temp_ / "clip.wav";
  for (const std::vector<std::string>& arguments :
       {std::vector<std::string>{"-f", "lavfi", "-i",
                                 "aevalsrc=0.3*sin(2*PI*(200+4*t)*t):s=48000:d=400",
                                 long_audio.string()},
        std::vector<std::string>{"-i", long_audio.string(), "-af",
                                 "atrim=start_sample=4800000:end_sample=5280000", clip.string()}}) {
    std::vector<std::string> command_line = {"-nostdin", "-v", "error", "-y"};
    command_line.insert(command_line.end(), arguments.begin(), arguments.end());
    testing::CommandResult generated = testing::RunCommand("/usr/bin/ffmpeg", command_line);
    ASSERT_EQ(generated.exit_code, 0) << generated.err;
  }

  EmbedRun short_run = EmbedWithPeakMemory(clap, clip);
  EmbedRun long_run = EmbedWithPeakMemory(clap, long_audio);

  const nlohmann::json& windows = long_run.output["embeddings"];
  ASSERT_EQ(windows.size(), 40u);
  for (size_t i = 0; i < windows.size(); ++i) {
    EXPECT_DOUBLE_EQ(windows[i]["start"].get<double>(), 10.0 * static_cast<double>(i));
    EXPECT_NEAR(windows[i]["end"].get<double>(), 10.0 * static_cast<double>(i + 1), 1e-6);
  }
  // The window that starts the second chunk embeds the same samples as the clip.
  ASSERT_EQ(short_run.output["embeddings"].size(), 1u);
  std::vector<float> clip_vector =
      short_run.output["embeddings"][0]["vector"].get<std::vector<float>>();
  EXPECT_LT(MaxDifference(windows[10]["vector"], clip_vector), 1e-5);
  EXPECT_GT(MaxDifference(windows[9]["vector"], clip_vector), 1e-3);
  // Streaming keeps one 100 s chunk (19 MB) in memory, not the whole 77 MB.
  EXPECT_LT(long_run.peak_resident_mib - short_run.peak_resident_mib, 60)
      << "clip: " << short_run.peak_resident_mib
      << " MiB, 400 s file: " << long_run.peak_resident_mib << " MiB";
}

TEST_F(MediaCommandsTest, EmbedAudioNeedsAudioModel) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  fs::path clip = shared / "fixtures/models/clip";
  testing::CommandResult result = testing::RunCommand(
      testing::MsearchBinary(),
      {"--config", config_.string(), "embed", "--model", clip.string(), "--audio",
       (shared / "fixtures/models/clap/inputs/speech.wav").string()});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("does not embed audio"), std::string::npos) << result.err;
}

TEST_F(MediaCommandsTest, EmbedUnknownModelSaysHowToInstall) {
  testing::CommandResult result = testing::RunCommand(
      testing::MsearchBinary(), {"--config", config_.string(), "embed", "--model",
                                 "nobody/no-such-model", "--text", "hello"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("nobody/no-such-model"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("msearch models pull"), std::string::npos) << result.err;
}

}  // namespace
}  // namespace msearch::cli

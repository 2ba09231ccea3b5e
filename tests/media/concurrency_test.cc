#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "media/corpus_manifest.h"
#include "media/media_kind.h"
#include "media/probe.h"
#include "media/thumbnail.h"
#include "support/shared_data.h"
#include "support/temp_dir.h"

namespace msearch::media {
namespace {

struct Outcome {
  std::string format;
  int width = 0;
  int height = 0;
  double duration = 0;
  std::string error;  // non-empty when probing failed
};

Outcome ProbeAndThumbnailOnce(const testing::CorpusEntry& entry, const std::filesystem::path& out) {
  Outcome outcome;
  auto kind = KindForExtension(entry.FullPath().extension().string());
  if (!kind) return outcome;
  try {
    store::MediaInfo info = ProbeFile(entry.FullPath(), *kind);
    outcome = {info.format, info.width, info.height, info.duration, ""};
    if (info.width * static_cast<int64_t>(info.height) <= DecodeLimits{}.max_image_pixels) {
      MakeThumbnail(entry.FullPath(), *kind, out);
    }
  } catch (const MediaError& error) {
    // The message of a concurrent failure may include another thread's
    // libvips text, so only the fact of failure is compared.
    outcome.error = "failed";
  }
  return outcome;
}

// Probes and thumbnails the whole corpus from several threads at once and
// expects the same results as one thread gives.
TEST(MediaConcurrency, ParallelMatchesSequential) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  const auto& entries = testing::CorpusEntries();
  ASSERT_FALSE(entries.empty());
  msearch::testing::TempDir dir;

  std::vector<Outcome> sequential;
  for (size_t i = 0; i < entries.size(); ++i) {
    sequential.push_back(
        ProbeAndThumbnailOnce(entries[i], dir / ("s" + std::to_string(i) + ".jpg")));
  }

  constexpr int kThreads = 4;
  std::vector<std::vector<Outcome>> parallel(kThreads, std::vector<Outcome>(entries.size()));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Each thread walks the list from a different offset, so different
      // decoders run at the same time.
      for (size_t n = 0; n < entries.size(); ++n) {
        size_t i = (n + static_cast<size_t>(t) * entries.size() / kThreads) % entries.size();
        std::filesystem::path out =
            dir / ("p" + std::to_string(t) + "_" + std::to_string(i) + ".jpg");
        parallel[t][i] = ProbeAndThumbnailOnce(entries[i], out);
      }
    });
  }
  for (auto& thread : threads) thread.join();

  for (int t = 0; t < kThreads; ++t) {
    for (size_t i = 0; i < entries.size(); ++i) {
      SCOPED_TRACE(entries[i].path + " thread " + std::to_string(t));
      EXPECT_EQ(parallel[t][i].format, sequential[i].format);
      EXPECT_EQ(parallel[t][i].width, sequential[i].width);
      EXPECT_EQ(parallel[t][i].height, sequential[i].height);
      EXPECT_DOUBLE_EQ(parallel[t][i].duration, sequential[i].duration);
      EXPECT_EQ(parallel[t][i].error, sequential[i].error);
    }
  }
}

}  // namespace
}  // namespace msearch::media

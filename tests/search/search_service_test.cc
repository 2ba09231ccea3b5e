// SearchService over a catalog indexed by the real media pipeline and the
// random-weight fixture models. Random weights give vectors without meaning,
// so these tests check only what holds for any weights: a file queried by
// itself, the text the pipeline recognised, fingerprints, segments,
// deletions, routing, filters and the cut-off of weak matches.

#include "search/search_service.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "indexed_library.h"
#include "search/search_errors.h"
#include "store/embedding_store.h"
#include "support/shared_data.h"

namespace msearch::search {
namespace {

namespace fs = std::filesystem;
using testing::IndexedLibrary;

const SearchResultItem* FindItem(const SearchOutcome& outcome, const fs::path& path) {
  for (const SearchResultItem& item : outcome.items) {
    if (item.file.path == path.string()) return &item;
  }
  return nullptr;
}

bool HasSource(const SearchResultItem& item, MatchSource source) {
  return std::find(item.sources.begin(), item.sources.end(), source) != item.sources.end();
}

// Returns options under which vector matches of text never count, because
// random text vectors land near every image and would hide what a test checks.
SearchServiceOptions WithoutTextVectors(SearchServiceOptions options) {
  options.text_to_image = {2.0, 3.0};
  options.text_to_audio = {2.0, 3.0};
  return options;
}

TEST(SearchService, ImageQueryFindsItselfFirst) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  IndexedLibrary library(shared);
  const fs::path images = shared / "corpus/images";
  library.Add(images / "cat_chelsea_baseline.jpg");
  library.Add(images / "coffee_cup_progressive.jpg");
  library.Add(images / "rocket_launch.jpg");
  library.Add(images / "landscape_dune_sea.jpg");
  auto service = library.MakeService(library.DefaultOptions());

  for (const char* name : {"rocket_launch.jpg", "coffee_cup_progressive.jpg"}) {
    SearchOutcome outcome = service->SearchImage({images / name}, {}, library.catalog());
    ASSERT_FALSE(outcome.items.empty()) << name;
    const SearchResultItem& first = outcome.items.front();
    EXPECT_EQ(first.file.path, (library.media_dir() / name).string());
    EXPECT_NEAR(first.score, 1.0, 1e-4) << name;
    EXPECT_EQ(first.modality, Modality::kImage);
    EXPECT_EQ(first.sources, std::vector<MatchSource>{MatchSource::kVector});
    EXPECT_FALSE(first.best_segment.has_value());
    ASSERT_TRUE(first.info.has_value());
    EXPECT_EQ(first.info->kind, "image");
    EXPECT_EQ(outcome.spaces, std::vector<std::string>{testing::kClipSpace});
    for (size_t i = 1; i < outcome.items.size(); ++i) {
      EXPECT_LT(outcome.items[i].score, first.score) << outcome.items[i].file.path;
    }
  }
}

TEST(SearchService, TextFindsRecognisedText) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  IndexedLibrary library(shared);
  const fs::path images = shared / "corpus/images";
  library.Add(images / "text_en_invoice.png", "scan_0001.png");
  library.Add(images / "text_zh_shanghai.png", "scan_0002.png");
  library.Add(images / "cat_chelsea_baseline.jpg");
  auto service = library.MakeService(WithoutTextVectors(library.DefaultOptions()));

  SearchOutcome english = service->SearchText({"invoice"}, {}, library.catalog());
  ASSERT_EQ(english.items.size(), 1u);
  const SearchResultItem& invoice = english.items.front();
  EXPECT_EQ(invoice.file.name, "scan_0001.png");
  EXPECT_EQ(invoice.sources, std::vector<MatchSource>{MatchSource::kText});
  ASSERT_TRUE(invoice.matched_text.has_value());
  EXPECT_NE(invoice.matched_text->find("Invoice 2024-0117"), std::string::npos);
  EXPECT_GT(invoice.score, 0.0);

  for (const char* query : {"上海", "南京东路"}) {
    SearchOutcome chinese = service->SearchText({query}, {}, library.catalog());
    ASSERT_EQ(chinese.items.size(), 1u) << query;
    EXPECT_EQ(chinese.items.front().file.name, "scan_0002.png") << query;
    EXPECT_TRUE(HasSource(chinese.items.front(), MatchSource::kText)) << query;
  }
}

TEST(SearchService, RecognisedTextFoundWithVectorsOn) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  IndexedLibrary library(shared);
  const fs::path images = shared / "corpus/images";
  library.Add(images / "text_en_invoice.png", "scan_0001.png");
  library.Add(images / "rocket_launch.jpg");
  auto service = library.MakeService(library.DefaultOptions());

  SearchOutcome outcome = service->SearchText({"invoice"}, {}, library.catalog());
  const SearchResultItem* invoice = FindItem(outcome, library.media_dir() / "scan_0001.png");
  ASSERT_NE(invoice, nullptr);
  EXPECT_TRUE(HasSource(*invoice, MatchSource::kText));
}

TEST(SearchService, ChineseTextGoesToChineseModelsOnly) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  testing::LibraryModels models;
  models.chinese_clip = true;
  IndexedLibrary library(shared, models);
  library.Add(shared / "corpus/images/cat_chelsea_baseline.jpg");
  auto service = library.MakeService(library.DefaultOptions());

  SearchOutcome chinese = service->SearchText({"一只猫"}, {}, library.catalog());
  EXPECT_EQ(chinese.spaces, std::vector<std::string>{testing::kChineseClipSpace});

  SearchOutcome english = service->SearchText({"a cat"}, {}, library.catalog());
  std::vector<std::string> spaces = english.spaces;
  std::sort(spaces.begin(), spaces.end());
  EXPECT_EQ(spaces, (std::vector<std::string>{testing::kChineseClipSpace, testing::kClipSpace}));
}

TEST(SearchService, ChineseTextWithoutChineseModel) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  IndexedLibrary library(shared);
  library.Add(shared / "corpus/images/text_zh_shanghai.png");
  auto service = library.MakeService(library.DefaultOptions());

  SearchOutcome outcome = service->SearchText({"上海"}, {}, library.catalog());
  EXPECT_TRUE(outcome.spaces.empty());
  ASSERT_EQ(outcome.items.size(), 1u);
  EXPECT_TRUE(HasSource(outcome.items.front(), MatchSource::kText));
  ASSERT_FALSE(outcome.warnings.empty());
  EXPECT_NE(outcome.warnings.front().find("Chinese"), std::string::npos);
}

TEST(SearchService, AudioClipFindsRecordingAtOffset) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  IndexedLibrary library(shared);
  fs::path recording =
      testing::WriteLongRecording(shared, library.media_dir() / "day_recording.mp3");
  ASSERT_FALSE(recording.empty());
  library.Index(recording);
  library.Add(shared / "corpus/audio/music_sox_chords_16bit_44k_stereo.wav");
  auto service = library.MakeService(library.DefaultOptions());

  for (double offset : {9.0, 20.5}) {
    fs::path clip = library.scratch_dir() / ("clip_" + std::to_string(offset) + ".wav");
    ASSERT_TRUE(
        testing::RunFfmpeg({"-ss", std::to_string(offset), "-t", "8", "-i", recording.string(),
                            "-ac", "1", "-ar", "16000", clip.string()}));
    SearchOutcome outcome = service->SearchAudio({clip}, {}, library.catalog());
    ASSERT_FALSE(outcome.items.empty()) << offset;
    const SearchResultItem& first = outcome.items.front();
    EXPECT_EQ(first.file.name, "day_recording.mp3");
    EXPECT_EQ(first.sources.front(), MatchSource::kFingerprint);
    EXPECT_EQ(first.modality, Modality::kAudio);
    ASSERT_TRUE(first.best_segment.has_value());
    EXPECT_NEAR(first.best_segment->start_s, offset, 0.5);
    EXPECT_NEAR(first.best_segment->end_s, offset + 8, 1.0);
    EXPECT_EQ(first.best_segment->track, "audio");
    EXPECT_GT(first.score, 0.5);
  }
}

TEST(SearchService, AudioClipOfLoopFindsAnOccurrence) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  IndexedLibrary library(shared);
  // A 6.4 s phrase repeated for 150 s: the clip occurs at every multiple of
  // 6.4 s from its own offset.
  const fs::path loop = shared / "corpus/audio/long_2m30_synth_music.mp3";
  library.Add(loop);
  auto service = library.MakeService(library.DefaultOptions());
  fs::path clip = library.scratch_dir() / "clip.wav";
  ASSERT_TRUE(testing::RunFfmpeg(
      {"-ss", "40", "-t", "10", "-i", loop.string(), "-ac", "1", "-ar", "22050", clip.string()}));
  SearchOutcome outcome = service->SearchAudio({clip}, {}, library.catalog());
  ASSERT_EQ(outcome.items.size(), 1u);
  ASSERT_TRUE(outcome.items.front().best_segment.has_value());
  double phase = std::fmod(outcome.items.front().best_segment->start_s - 40.0 + 64.0, 6.4);
  EXPECT_LT(std::min(phase, 6.4 - phase), 0.5);
}

TEST(SearchService, AudioQueryWithoutMatchReturnsNothing) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  IndexedLibrary library(shared);
  library.Add(shared / "corpus/audio/long_2m30_synth_music.mp3");
  auto service = library.MakeService(library.DefaultOptions());
  // A recording that is not in the library, long enough to fingerprint.
  SearchOutcome outcome =
      service->SearchAudio({shared / "corpus/audio/speech_en_espeak.wav"}, {}, library.catalog());
  EXPECT_TRUE(outcome.items.empty());
}

TEST(SearchService, AudioVectorsWithClap) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  testing::LibraryModels models;
  models.clap = true;
  IndexedLibrary library(shared, models);
  const fs::path speech = shared / "corpus/audio/speech_en_espeak.wav";
  library.Add(speech);
  auto service = library.MakeService(library.DefaultOptions());

  SearchOutcome outcome = service->SearchAudio({speech}, {}, library.catalog());
  ASSERT_FALSE(outcome.items.empty());
  const SearchResultItem& first = outcome.items.front();
  EXPECT_EQ(first.file.name, "speech_en_espeak.wav");
  EXPECT_TRUE(HasSource(first, MatchSource::kVector));
  EXPECT_EQ(outcome.spaces, std::vector<std::string>{testing::kClapSpace});
  // The window's vector matches, and so does the recording's fingerprint.
  bool window_found = false;
  for (const SegmentMatch& segment : first.segments) {
    if (segment.index == 0 && segment.track == "audio") window_found = true;
  }
  EXPECT_TRUE(window_found);
  EXPECT_TRUE(HasSource(first, MatchSource::kFingerprint));
}

TEST(SearchService, VideoSegmentOfImageWithinHalfSecond) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  IndexedLibrary library(shared);
  const fs::path images = shared / "corpus/images";
  // Three stills of 3 s each: segments [0, 3), [3, 6), [6, 9).
  fs::path video = library.media_dir() / "stills.mp4";
  ASSERT_TRUE(testing::WriteStillsVideo(shared, video));
  library.Index(video);
  SearchServiceOptions options = library.DefaultOptions();
  options.image_to_image = {0.0, 1.0};  // keep weaker segments listed too
  auto service = library.MakeService(options);

  struct Case {
    const char* image;
    double start;
  };
  for (const Case& query : {Case{"rocket_launch.jpg", 3.0}, Case{"text_en_invoice.png", 6.0},
                            Case{"cat_chelsea_baseline.jpg", 0.0}}) {
    SearchOutcome outcome = service->SearchImage({images / query.image}, {}, library.catalog());
    ASSERT_EQ(outcome.items.size(), 1u) << query.image;
    const SearchResultItem& item = outcome.items.front();
    EXPECT_EQ(item.file.name, "stills.mp4");
    EXPECT_EQ(item.modality, Modality::kVideo);
    ASSERT_TRUE(item.best_segment.has_value());
    EXPECT_NEAR(item.best_segment->start_s, query.start, 0.5) << query.image;
    EXPECT_NEAR(item.best_segment->end_s, query.start + 3, 0.5) << query.image;
    EXPECT_EQ(item.best_segment->track, "video");
    EXPECT_TRUE(item.best_segment->thumbnail_path.has_value());
    ASSERT_EQ(item.segments.size(), 3u);
    EXPECT_LT(item.segments[0].start_s, item.segments[1].start_s);
    EXPECT_LT(item.segments[1].start_s, item.segments[2].start_s);
  }

  // A clip of the video finds the same video, its matching part first.
  SearchOutcome outcome = service->SearchVideo({video, 3.2, 5.8}, {}, library.catalog());
  ASSERT_EQ(outcome.items.size(), 1u);
  ASSERT_TRUE(outcome.items.front().best_segment.has_value());
  EXPECT_NEAR(outcome.items.front().best_segment->start_s, 3.0, 0.5);
}

TEST(SearchService, DeletedFileNeverAppears) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  IndexedLibrary library(shared);
  const fs::path images = shared / "corpus/images";
  const fs::path cat = images / "cat_chelsea_baseline.jpg";
  int64_t cat_id = library.Add(cat);
  library.Add(images / "coffee_cup_progressive.jpg");
  auto service = library.MakeService(library.DefaultOptions());
  ASSERT_NE(FindItem(service->SearchImage({cat}, {}, library.catalog()),
                     library.media_dir() / cat.filename()),
            nullptr);
  size_t before = library.index()->FindIndex(testing::kClipSpace)->size();

  // Removing the file from the catalog deletes its vector rows, but the
  // index still contains the vectors until something removes them.
  ASSERT_EQ(library.catalog().RemoveFiles(std::vector<int64_t>{cat_id}), 1);
  SearchOutcome outcome = service->SearchImage({cat}, {}, library.catalog());
  EXPECT_EQ(FindItem(outcome, library.media_dir() / cat.filename()), nullptr);
  EXPECT_NE(FindItem(outcome, library.media_dir() / "coffee_cup_progressive.jpg"), nullptr);
  // The search removed the stale vector from the index.
  EXPECT_EQ(library.index()->FindIndex(testing::kClipSpace)->size(), before - 1);
  EXPECT_EQ(FindItem(service->SearchText({"chelsea"}, {}, library.catalog()),
                     library.media_dir() / cat.filename()),
            nullptr);
}

TEST(SearchService, NewVectorsAreSearchableAtOnce) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  IndexedLibrary library(shared);
  const fs::path images = shared / "corpus/images";
  library.Add(images / "coffee_cup_progressive.jpg");
  auto service = library.MakeService(library.DefaultOptions());

  // Indexed after the service opened its indexes, with no catch-up run.
  library.Add(images / "rocket_launch.jpg");
  SearchOutcome outcome =
      service->SearchImage({images / "rocket_launch.jpg"}, {}, library.catalog());
  ASSERT_FALSE(outcome.items.empty());
  EXPECT_EQ(outcome.items.front().file.name, "rocket_launch.jpg");
  EXPECT_NEAR(outcome.items.front().score, 1.0, 1e-4);
}

TEST(SearchService, FiltersAndSorting) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  IndexedLibrary library(shared);
  const fs::path corpus = shared / "corpus";
  library.Add(corpus / "images/cat_chelsea_baseline.jpg", "harbor/cat.jpg");
  library.Add(corpus / "images/landscape_dune_sea.jpg", "harbor/dune.jpg");
  library.Add(corpus / "images/rocket_launch.jpg", "elsewhere/harbor_rocket.jpg");
  library.Add(corpus / "video/no_audio_h264.mp4", "harbor/clip.mp4");
  auto service = library.MakeService(WithoutTextVectors(library.DefaultOptions()));
  // Every file name or path contains "harbor".
  SearchOutcome all = service->SearchText({"harbor"}, {}, library.catalog());
  ASSERT_EQ(all.items.size(), 4u);

  SearchOptions images;
  images.filters.file_types = {"image"};
  EXPECT_EQ(service->SearchText({"harbor"}, images, library.catalog()).items.size(), 3u);

  SearchOptions folder;
  folder.filters.directory = library.media_dir() / "harbor";
  SearchOutcome in_folder = service->SearchText({"harbor"}, folder, library.catalog());
  EXPECT_EQ(in_folder.items.size(), 3u);
  EXPECT_EQ(FindItem(in_folder, library.media_dir() / "elsewhere/harbor_rocket.jpg"), nullptr);

  SearchOptions by_size;
  by_size.sort = SortKey::kSize;
  SearchOutcome sorted = service->SearchText({"harbor"}, by_size, library.catalog());
  ASSERT_EQ(sorted.items.size(), 4u);
  for (size_t i = 1; i < sorted.items.size(); ++i) {
    EXPECT_GE(sorted.items[i - 1].file.size, sorted.items[i].file.size);
  }
  SearchOptions small;
  small.filters.max_size = sorted.items.back().file.size;
  EXPECT_EQ(service->SearchText({"harbor"}, small, library.catalog()).items.size(), 1u);

  SearchOptions top;
  top.top_k = 2;
  SearchOutcome cut = service->SearchText({"harbor"}, top, library.catalog());
  EXPECT_EQ(cut.items.size(), 2u);
  EXPECT_EQ(cut.total_matches, 4u);

  // Filters apply to vector matches too.
  SearchOutcome images_only =
      service->SearchImage({corpus / "images/cat_chelsea_baseline.jpg"}, images, library.catalog());
  ASSERT_FALSE(images_only.items.empty());
  for (const SearchResultItem& item : images_only.items) {
    EXPECT_EQ(item.file.kind, "image") << item.file.path;
  }
}

TEST(SearchService, WeakMatchesAreCutOff) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  IndexedLibrary library(shared);
  const fs::path images = shared / "corpus/images";
  library.Add(images / "cat_chelsea_baseline.jpg");
  library.Add(images / "rocket_launch.jpg");
  auto service = library.MakeService(WithoutTextVectors(library.DefaultOptions()));
  SearchOutcome nothing = service->SearchText({"qqzzxx"}, {}, library.catalog());
  EXPECT_TRUE(nothing.items.empty());
  EXPECT_EQ(nothing.total_matches, 0u);

  // Only the image itself clears a threshold of 0.99.
  SearchOptions strict;
  strict.threshold = 0.99;
  SearchOutcome self =
      service->SearchImage({images / "rocket_launch.jpg"}, strict, library.catalog());
  ASSERT_EQ(self.items.size(), 1u);
  EXPECT_EQ(self.items.front().file.name, "rocket_launch.jpg");
}

TEST(SearchService, SoundWordsShiftWeightToAudio) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  IndexedLibrary library(shared);
  library.Add(shared / "corpus/images/cat_chelsea_baseline.jpg", "meeting_notes.jpg");
  SearchServiceOptions options = WithoutTextVectors(library.DefaultOptions());
  auto shifting = library.MakeService(options);
  options.sound_audio_factor = 1.0;
  auto neutral = library.MakeService(options);

  // "meeting" names a sound, so audio keeps weight 1 and the text weight,
  // which scores the name match, drops to half.
  double shifted = shifting->SearchText({"meeting notes"}, {}, library.catalog()).items.at(0).score;
  double plain = neutral->SearchText({"meeting notes"}, {}, library.catalog()).items.at(0).score;
  EXPECT_NEAR(shifted, plain / 2, 1e-9);
  // Without a sound word nothing shifts.
  EXPECT_DOUBLE_EQ(shifting->SearchText({"notes"}, {}, library.catalog()).items.at(0).score,
                   neutral->SearchText({"notes"}, {}, library.catalog()).items.at(0).score);
}

TEST(SearchService, MissingModelAndInvalidInput) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  IndexedLibrary library(shared);
  library.Add(shared / "corpus/images/cat_chelsea_baseline.jpg");
  auto service = library.MakeService(library.DefaultOptions());

  fs::path not_image = library.scratch_dir() / "notes.jpg";
  { std::ofstream(not_image) << "plain text, not a picture"; }
  EXPECT_THROW(service->SearchImage({not_image}, {}, library.catalog()), InvalidQueryError);
  EXPECT_THROW(service->SearchAudio({not_image}, {}, library.catalog()), InvalidQueryError);
  EXPECT_THROW(service->SearchVideo({shared / "corpus/video/no_audio_h264.mp4", 10.0, 12.0}, {},
                                    library.catalog()),
               InvalidQueryError);  // starts after the 4 s video ends

  fs::remove_all(library.models_dir() / testing::kClipSpace);
  EXPECT_THROW(service->SearchImage({shared / "corpus/images/cat_chelsea_baseline.jpg"}, {},
                                    library.catalog()),
               ModelUnavailableError);
  // Text search needs no model.
  EXPECT_NO_THROW(service->SearchText({"chelsea"}, {}, library.catalog()));
}

}  // namespace
}  // namespace msearch::search

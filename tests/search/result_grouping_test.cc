#include "search/result_grouping.h"

#include <vector>

#include <gtest/gtest.h>

namespace msearch::search {
namespace {

Evidence Hit(int64_t file_id, MatchSource source, Modality modality, double score) {
  Evidence evidence;
  evidence.file_id = file_id;
  evidence.source = source;
  evidence.modality = modality;
  evidence.score = score;
  return evidence;
}

Evidence SegmentHit(int64_t file_id, MatchSource source, double score, double start, double end,
                    int index = -1) {
  Evidence evidence = Hit(file_id, source, Modality::kVideo, score);
  SegmentMatch segment;
  segment.track = "video";
  segment.index = index;
  segment.start_s = start;
  segment.end_s = end;
  segment.centre_s = (start + end) / 2;
  evidence.segment = segment;
  return evidence;
}

TEST(GroupByFile, BestScorePerKindThenNoisyOr) {
  std::vector<Evidence> evidence = {
      SegmentHit(1, MatchSource::kVector, 0.5, 0, 2, 0),
      SegmentHit(1, MatchSource::kVector, 0.4, 2, 4, 1),  // same kind: only the best counts
      Hit(1, MatchSource::kText, Modality::kText, 0.5),
      Hit(2, MatchSource::kVector, Modality::kImage, 0.7),
  };
  std::vector<FileMatch> files = GroupByFile(evidence, 10);
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].file_id, 1);
  EXPECT_NEAR(files[0].score, 0.75, 1e-12);
  EXPECT_EQ(files[0].modality, Modality::kVideo);
  ASSERT_EQ(files[0].sources.size(), 2u);
  EXPECT_EQ(files[1].file_id, 2);
  EXPECT_NEAR(files[1].score, 0.7, 1e-12);
  EXPECT_EQ(files[1].modality, Modality::kImage);
  EXPECT_TRUE(files[1].segments.empty());
  EXPECT_FALSE(files[1].best_segment.has_value());
}

TEST(GroupByFile, SegmentsInTimeOrderWithBestKept) {
  std::vector<Evidence> evidence = {
      SegmentHit(7, MatchSource::kVector, 0.3, 20, 30, 2),
      SegmentHit(7, MatchSource::kVector, 0.9, 10, 20, 1),
      SegmentHit(7, MatchSource::kVector, 0.2, 0, 10, 0),
      SegmentHit(7, MatchSource::kVector, 0.6, 30, 40, 3),
  };
  std::vector<FileMatch> files = GroupByFile(evidence, 3);
  ASSERT_EQ(files.size(), 1u);
  const FileMatch& file = files[0];
  ASSERT_EQ(file.segments.size(), 3u);  // the weakest (0.2) is dropped
  EXPECT_DOUBLE_EQ(file.segments[0].start_s, 10);
  EXPECT_DOUBLE_EQ(file.segments[1].start_s, 20);
  EXPECT_DOUBLE_EQ(file.segments[2].start_s, 30);
  ASSERT_TRUE(file.best_segment.has_value());
  EXPECT_DOUBLE_EQ(file.best_segment->start_s, 10);
  EXPECT_DOUBLE_EQ(file.best_segment->score, 0.9);
}

TEST(GroupByFile, MergesOneStretchFoundTwice) {
  Evidence text = SegmentHit(3, MatchSource::kText, 0.8, 0, 2.5);
  Evidence vector = SegmentHit(3, MatchSource::kVector, 0.4, 0, 2.5, 0);
  vector.segment->thumbnail_path = "thumbs/segment_0000.jpg";
  vector.segment->representative_s = 1.2;
  text.matched_text = "HARBOR FESTIVAL";
  std::vector<Evidence> evidence = {vector, text};
  std::vector<FileMatch> files = GroupByFile(evidence, 10);
  ASSERT_EQ(files.size(), 1u);
  ASSERT_EQ(files[0].segments.size(), 1u);
  const SegmentMatch& segment = files[0].segments[0];
  EXPECT_DOUBLE_EQ(segment.score, 0.8);
  EXPECT_EQ(segment.source, MatchSource::kText);
  EXPECT_EQ(segment.index, 0);
  EXPECT_EQ(segment.thumbnail_path, "thumbs/segment_0000.jpg");
  EXPECT_EQ(segment.representative_s, 1.2);
  EXPECT_EQ(files[0].matched_text, "HARBOR FESTIVAL");
}

TEST(GroupByFile, IgnoresZeroScores) {
  std::vector<Evidence> evidence = {Hit(1, MatchSource::kVector, Modality::kImage, 0.0)};
  EXPECT_TRUE(GroupByFile(evidence, 10).empty());
}

store::FileRecord File(int64_t id, const std::string& path, const std::string& kind, uint64_t size,
                       double modified) {
  store::FileRecord file;
  file.id = id;
  file.path = path;
  file.kind = kind;
  file.size = size;
  file.mtime_ns = static_cast<int64_t>(modified * 1e9);
  return file;
}

TEST(PassesFilters, EachFilter) {
  store::FileRecord file = File(1, "/media/trip/day1/beach.jpg", "image", 5000, 1'700'000'000);
  EXPECT_TRUE(PassesFilters(file, {}));

  SearchFilters types;
  types.file_types = {"video", "image"};
  EXPECT_TRUE(PassesFilters(file, types));
  types.file_types = {"audio"};
  EXPECT_FALSE(PassesFilters(file, types));

  SearchFilters folder;
  folder.directory = "/media/trip";
  EXPECT_TRUE(PassesFilters(file, folder));
  folder.directory = "/media/trip/";
  EXPECT_TRUE(PassesFilters(file, folder));
  folder.directory = "/media/tri";  // a prefix of a name is not a parent folder
  EXPECT_FALSE(PassesFilters(file, folder));
  folder.directory = "/media/trip/day1/beach.jpg";
  EXPECT_FALSE(PassesFilters(file, folder));

  SearchFilters dates;
  dates.modified_after = 1'699'999'999;
  dates.modified_before = 1'700'000'001;
  EXPECT_TRUE(PassesFilters(file, dates));
  dates.modified_after = 1'700'000'000.5;
  EXPECT_FALSE(PassesFilters(file, dates));

  SearchFilters sizes;
  sizes.min_size = 5000;
  sizes.max_size = 5000;
  EXPECT_TRUE(PassesFilters(file, sizes));
  sizes.max_size = 4999;
  EXPECT_FALSE(PassesFilters(file, sizes));
}

SearchResultItem Item(int64_t id, double score, uint64_t size, double modified) {
  SearchResultItem item;
  item.file = File(id, "/m/" + std::to_string(id), "image", size, modified);
  item.score = score;
  return item;
}

TEST(SortAndCut, ThresholdTopKAndOrders) {
  std::vector<SearchResultItem> items = {Item(1, 0.9, 10, 300), Item(2, 0.5, 30, 100),
                                         Item(3, 0.7, 20, 200), Item(4, 0.1, 40, 400)};
  SearchOptions options;
  options.top_k = 2;
  options.threshold = 0.2;
  std::vector<SearchResultItem> by_score = items;
  EXPECT_EQ(SortAndCut(by_score, options), 3u);
  ASSERT_EQ(by_score.size(), 2u);
  EXPECT_EQ(by_score[0].file.id, 1);
  EXPECT_EQ(by_score[1].file.id, 3);

  // Sorting by size orders the best top_k, not the largest weak ones.
  options.sort = SortKey::kSize;
  std::vector<SearchResultItem> by_size = items;
  SortAndCut(by_size, options);
  ASSERT_EQ(by_size.size(), 2u);
  EXPECT_EQ(by_size[0].file.id, 3);
  EXPECT_EQ(by_size[1].file.id, 1);

  options.sort = SortKey::kDate;
  options.descending = false;
  options.top_k = 10;
  std::vector<SearchResultItem> by_date = items;
  SortAndCut(by_date, options);
  ASSERT_EQ(by_date.size(), 3u);
  EXPECT_EQ(by_date[0].file.id, 2);
  EXPECT_EQ(by_date[1].file.id, 3);
  EXPECT_EQ(by_date[2].file.id, 1);
}

}  // namespace
}  // namespace msearch::search

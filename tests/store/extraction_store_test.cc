#include "store/extraction_store.h"

#include <cstring>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "catalog_fixture.h"

namespace msearch::store {
namespace {

using testing::CatalogTest;
using ::testing::ElementsAre;

class ExtractionStoreTest : public CatalogTest {
 protected:
  ExtractionStoreTest() : store_(catalog_.database()) {
    video_ = AddFile("clip.mp4", "video");
    photo_ = AddFile("photo.jpg", "image");
  }

  static SegmentRecord Segment(int index, double start, double end) {
    SegmentRecord segment;
    segment.index = index;
    segment.start_s = start;
    segment.end_s = end;
    segment.representative_s = (start + end) / 2;
    return segment;
  }

  void MarkIndexed(int64_t file_id, const std::string& content_hash) {
    MediaInfo info;
    info.kind = "video";
    info.format = "mp4";
    info.width = 1280;
    info.height = 720;
    info.duration = 12.5;
    info.tags["title"] = "harbour at dusk";
    ASSERT_TRUE(catalog_.StoreProbeResult(file_id, 100, 1'000'000'000, info, content_hash));
  }

  int64_t CountRows(const std::string& sql, int64_t file_id) {
    Statement count = catalog_.database().Prepare(sql);
    count.Bind(1, file_id);
    count.Step();
    return count.ColumnInt(0);
  }

  ExtractionStore store_;
  int64_t video_ = 0;
  int64_t photo_ = 0;
};

TEST_F(ExtractionStoreTest, SegmentsRoundTripInIndexOrder) {
  SegmentRecord first = Segment(0, 0.0, 4.2);
  first.thumbnail_path = "/thumbs/a-0.jpg";
  first.perceptual_hash = 0xF00DFACE12345678ull;  // high bit set: must survive signed storage
  std::vector<SegmentRecord> segments = {Segment(1, 4.2, 9.0), first};
  std::vector<int64_t> ids = store_.ReplaceSegments(video_, "video", segments);
  ASSERT_EQ(ids.size(), 2u);

  std::vector<SegmentRecord> stored = store_.Segments(video_);
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[0].index, 0);
  EXPECT_EQ(stored[0].id, ids[1]);
  EXPECT_DOUBLE_EQ(stored[0].end_s, 4.2);
  EXPECT_EQ(stored[0].thumbnail_path, "/thumbs/a-0.jpg");
  EXPECT_EQ(stored[0].perceptual_hash, 0xF00DFACE12345678ull);
  EXPECT_EQ(stored[1].index, 1);
  EXPECT_DOUBLE_EQ(stored[1].representative_s, 6.6);
  EXPECT_FALSE(stored[1].perceptual_hash.has_value());
}

TEST_F(ExtractionStoreTest, ReplaceSegmentsKeepsOtherTrack) {
  std::vector<SegmentRecord> video = {Segment(0, 0, 5), Segment(1, 5, 10)};
  std::vector<SegmentRecord> audio = {Segment(0, 0, 10)};
  store_.ReplaceSegments(video_, "video", video);
  store_.ReplaceSegments(video_, "audio", audio);
  std::vector<SegmentRecord> shorter = {Segment(0, 0, 10)};
  store_.ReplaceSegments(video_, "video", shorter);

  EXPECT_EQ(store_.Segments(video_, "video").size(), 1u);
  EXPECT_EQ(store_.Segments(video_, "audio").size(), 1u);
  EXPECT_EQ(store_.Segments(video_).size(), 2u);
}

TEST_F(ExtractionStoreTest, RejectsBadSegments) {
  std::vector<SegmentRecord> backwards = {Segment(0, 5, 4)};
  EXPECT_THROW(store_.ReplaceSegments(video_, "video", backwards), Error);
  std::vector<SegmentRecord> repeated = {Segment(0, 0, 1), Segment(0, 1, 2)};
  EXPECT_THROW(store_.ReplaceSegments(video_, "video", repeated), Error);
  std::vector<SegmentRecord> fine = {Segment(0, 0, 1)};
  EXPECT_THROW(store_.ReplaceSegments(video_, "subtitles", fine), Error);
  EXPECT_TRUE(store_.Segments(video_).empty());
}

TEST_F(ExtractionStoreTest, TextsAreSearchable) {
  std::vector<TextRecord> ocr(3);
  ocr[0].text = "Harbour Crane Operations";
  ocr[0].start_s = 2.0;
  ocr[0].end_s = 4.0;
  ocr[1].text = "港口日落时分";
  ocr[1].start_s = 8.0;
  ocr[1].end_s = 9.5;
  ocr[2].text = "";  // nothing recognised: not stored
  store_.ReplaceTexts(video_, "ocr", ocr);
  std::vector<TextRecord> sign(1);
  sign[0].text = "OPEN 24 HOURS";
  store_.ReplaceTexts(photo_, "ocr", sign);

  EXPECT_EQ(store_.Texts(video_).size(), 2u);

  std::vector<TextMatch> crane = store_.SearchTexts("crane", 10);
  ASSERT_EQ(crane.size(), 1u);
  EXPECT_EQ(crane[0].file_id, video_);
  EXPECT_EQ(crane[0].start_s, 2.0);
  EXPECT_GT(crane[0].score, 0.0);

  std::vector<TextMatch> sunset = store_.SearchTexts("日落时", 10);
  ASSERT_EQ(sunset.size(), 1u);
  EXPECT_EQ(sunset[0].start_s, 8.0);

  // Two characters are below the trigram length and go through LIKE.
  std::vector<TextMatch> harbour = store_.SearchTexts("港口", 10);
  ASSERT_EQ(harbour.size(), 1u);
  EXPECT_EQ(harbour[0].file_id, video_);

  EXPECT_THAT(store_.SearchTexts("24", 10).size(), 1u);
  EXPECT_TRUE(store_.SearchTexts("forklift", 10).empty());
}

TEST_F(ExtractionStoreTest, ReplacedTextsLeaveTheIndex) {
  std::vector<TextRecord> before(1);
  before[0].text = "first caption";
  store_.ReplaceTexts(photo_, "ocr", before);
  std::vector<TextRecord> after(1);
  after[0].text = "second caption";
  store_.ReplaceTexts(photo_, "ocr", after);

  EXPECT_TRUE(store_.SearchTexts("first", 10).empty());
  EXPECT_EQ(store_.SearchTexts("caption", 10).size(), 1u);
}

TEST_F(ExtractionStoreTest, FingerprintRoundTrip) {
  FingerprintRecord fingerprint;
  fingerprint.file_id = video_;
  fingerprint.algorithm = 2;
  fingerprint.item_seconds = 0.1238;
  fingerprint.items = {0xDEADBEEF, 0, 1, 0xFFFFFFFF};
  store_.SetFingerprint(fingerprint);

  std::optional<FingerprintRecord> stored = store_.Fingerprint(video_);
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->algorithm, 2);
  EXPECT_DOUBLE_EQ(stored->item_seconds, 0.1238);
  EXPECT_EQ(stored->items, fingerprint.items);
  EXPECT_FALSE(store_.Fingerprint(photo_).has_value());
  EXPECT_THAT(store_.FingerprintedFiles(), ElementsAre(video_));
}

TEST_F(ExtractionStoreTest, RowsLeaveWithTheirFile) {
  std::vector<SegmentRecord> segments = {Segment(0, 0, 5)};
  store_.ReplaceSegments(video_, "video", segments);
  std::vector<TextRecord> texts(1);
  texts[0].text = "vanishing words";
  store_.ReplaceTexts(video_, "ocr", texts);
  FingerprintRecord fingerprint;
  fingerprint.file_id = video_;
  fingerprint.items = {1, 2, 3};
  store_.SetFingerprint(fingerprint);

  ASSERT_EQ(catalog_.RemoveFiles(std::vector<int64_t>{video_}), 1);
  EXPECT_TRUE(store_.Segments(video_).empty());
  EXPECT_TRUE(store_.SearchTexts("vanishing", 10).empty());
  EXPECT_FALSE(store_.Fingerprint(video_).has_value());
}

TEST_F(ExtractionStoreTest, ModifiedFileLosesExtractedRows) {
  FileObservation observation = Observe("edited.mp4", 100, 1'000'000'000, 0, "video");
  int64_t file_id = catalog_.UpsertFile(observation).file_id;
  ASSERT_TRUE(catalog_.StoreProbeResult(file_id, observation.size, observation.mtime_ns,
                                        MediaInfo{}, "s1:edited"));
  std::vector<SegmentRecord> segments = {Segment(0, 0, 5)};
  store_.ReplaceSegments(file_id, "video", segments);
  std::vector<TextRecord> texts(1);
  texts[0].text = "stale caption";
  store_.ReplaceTexts(file_id, "ocr", texts);
  store_.SetPerceptualHash(file_id, 42);
  EXPECT_TRUE(store_.MarkAnalyzed(file_id, observation.size, observation.mtime_ns));

  observation.size += 10;
  ASSERT_EQ(catalog_.UpsertFile(observation).change, FileChange::kModified);

  EXPECT_TRUE(store_.Segments(file_id).empty());
  EXPECT_TRUE(store_.SearchTexts("stale", 10).empty());
  EXPECT_FALSE(store_.PerceptualHash(file_id).has_value());
}

TEST_F(ExtractionStoreTest, PerceptualHashKeepsAllBits) {
  store_.SetPerceptualHash(photo_, 0x8000000000000001ull);
  EXPECT_EQ(store_.PerceptualHash(photo_), 0x8000000000000001ull);
  store_.SetPerceptualHash(photo_, std::nullopt);
  EXPECT_FALSE(store_.PerceptualHash(photo_).has_value());
}

TEST_F(ExtractionStoreTest, CopyResultsDuplicatesEverything) {
  MarkIndexed(video_, "s1:same");
  store_.SetFullHash(video_, "sha256:abc");
  std::vector<SegmentRecord> segments = {Segment(0, 0, 5), Segment(1, 5, 12.5)};
  segments[1].thumbnail_path = "/thumbs/old-1.jpg";
  std::vector<int64_t> segment_ids = store_.ReplaceSegments(video_, "video", segments);
  std::vector<TextRecord> texts(1);
  texts[0].text = "dock number seven";
  texts[0].start_s = 6.0;
  store_.ReplaceTexts(video_, "ocr", texts);
  const std::vector<float> vector = {0.6f, 0.8f};
  Statement insert = catalog_.database().Prepare(
      "INSERT INTO embeddings(file_id, segment_id, space, dimension, vector, created_at) "
      "VALUES (?, ?, 'clip:test', 2, ?, 0)");
  insert.Bind(1, video_).Bind(2, segment_ids[1]).BindBlob(3, std::as_bytes(std::span(vector)));
  insert.Run();

  int64_t copy = AddFile("copy of clip.mp4", "video");
  EXPECT_TRUE(store_.SameContentCandidates(copy, 100, "s1:same").empty());  // not analysed yet
  EXPECT_TRUE(store_.MarkAnalyzed(video_, 100, 1'000'000'000));
  EXPECT_THAT(store_.SameContentCandidates(copy, 100, "s1:same"), ElementsAre(video_));
  EXPECT_TRUE(store_.SameContentCandidates(copy, 101, "s1:same").empty());

  ASSERT_TRUE(store_.CopyResults(video_, copy, [](const std::string& path) {
    return path == "/thumbs/old-1.jpg" ? std::string("/thumbs/new-1.jpg") : path;
  }));

  std::optional<FileRecord> copied = catalog_.FindFile(copy);
  ASSERT_TRUE(copied.has_value());
  EXPECT_EQ(copied->status, "indexed");
  EXPECT_EQ(copied->content_hash, "s1:same");
  EXPECT_EQ(store_.FullHash(copy), "sha256:abc");
  EXPECT_THAT(store_.SameContentCandidates(video_, 100, "s1:same"), ElementsAre(copy));
  std::optional<MediaInfo> info = catalog_.GetMediaInfo(copy);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->width, 1280);
  EXPECT_DOUBLE_EQ(info->duration, 12.5);

  std::vector<SegmentRecord> copied_segments = store_.Segments(copy);
  ASSERT_EQ(copied_segments.size(), 2u);
  EXPECT_EQ(copied_segments[1].thumbnail_path, "/thumbs/new-1.jpg");
  EXPECT_NE(copied_segments[1].id, segment_ids[1]);

  std::vector<TextMatch> dock = store_.SearchTexts("dock", 10);
  ASSERT_EQ(dock.size(), 2u);

  Statement vectors =
      catalog_.database().Prepare("SELECT segment_id, vector FROM embeddings WHERE file_id = ?");
  vectors.Bind(1, copy);
  ASSERT_TRUE(vectors.Step());
  EXPECT_EQ(vectors.ColumnInt(0), copied_segments[1].id);
  std::vector<float> read(2);
  std::memcpy(read.data(), vectors.ColumnBlob(1).data(), sizeof(float) * 2);
  EXPECT_EQ(read, vector);

  // The tags of the original are searchable under the copy too.
  std::vector<TextHit> hits = catalog_.SearchText("dusk", 10);
  EXPECT_EQ(hits.size(), 2u);
}

TEST_F(ExtractionStoreTest, CopyResultsNeedsAnIndexedSource) {
  int64_t copy = AddFile("copy.mp4", "video");
  EXPECT_FALSE(store_.CopyResults(video_, copy, [](const std::string& path) { return path; }));
  EXPECT_EQ(catalog_.FindFile(copy)->status, "pending");
  EXPECT_EQ(CountRows("SELECT count(*) FROM segments WHERE file_id = ?", copy), 0);
}

}  // namespace
}  // namespace msearch::store

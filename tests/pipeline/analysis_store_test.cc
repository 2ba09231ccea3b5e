#include "pipeline/analysis_store.h"

#include <string>

#include <gtest/gtest.h>

#include "catalog_fixture.h"
#include "common/error.h"
#include "store/extraction_store.h"
#include "store/sqlite.h"

namespace msearch::pipeline {
namespace {

constexpr uint64_t kSize = 100;
constexpr int64_t kMtimeNs = 1'000'000'000;

class AnalysisStoreTest : public store::testing::CatalogTest {
 protected:
  AnalysisStoreTest() : store_(catalog_.database()) {
    file_id_ = AddFile("clip.mp4", "video");
    store::MediaInfo info;
    info.kind = "video";
    EXPECT_TRUE(catalog_.StoreProbeResult(file_id_, kSize, kMtimeNs, info, "s1:clip"));
  }

  static FileAnalysis SampleAnalysis() {
    FileAnalysis analysis;
    for (int i = 0; i < 2; ++i) {
      store::SegmentRecord segment;
      segment.track = "video";
      segment.index = i;
      segment.start_s = 5.0 * i;
      segment.end_s = 5.0 * (i + 1);
      analysis.video_segments.push_back(segment);
    }
    store::SegmentRecord window;
    window.track = "audio";
    window.end_s = 10;
    analysis.audio_windows.push_back(window);
    store::TextRecord text;
    text.source = "ocr";
    text.text = "harbour gate";
    analysis.texts.push_back(text);
    media::AudioFingerprint fingerprint;
    fingerprint.algorithm = 1;
    fingerprint.item_seconds = 0.1238;
    fingerprint.items = {1, 2, 3};
    analysis.fingerprint = fingerprint;
    analysis.perceptual_hash = 0x1234;
    return analysis;
  }

  bool Analyzed() {
    store::Statement select =
        catalog_.database().Prepare("SELECT analyzed_at IS NOT NULL FROM files WHERE id = ?");
    select.Bind(1, file_id_);
    return select.Step() && select.ColumnInt(0) == 1;
  }

  // Checks that the file has none of the results of SampleAnalysis.
  void ExpectNothingStored() {
    EXPECT_TRUE(store_.Segments(file_id_).empty());
    EXPECT_TRUE(store_.Texts(file_id_).empty());
    EXPECT_FALSE(store_.Fingerprint(file_id_).has_value());
    EXPECT_FALSE(store_.PerceptualHash(file_id_).has_value());
    EXPECT_FALSE(Analyzed());
  }

  // Makes the catalog reject every update of files.analyzed_at, the last
  // write of StoreAnalysis. The trigger is TEMP, so only this connection has it.
  void RejectMarkAnalyzed() {
    catalog_.database().Execute(
        "CREATE TEMP TRIGGER reject_mark BEFORE UPDATE OF analyzed_at ON files "
        "BEGIN SELECT RAISE(ABORT, 'injected failure of MarkAnalyzed'); END");
  }

  store::ExtractionStore store_;
  int64_t file_id_ = 0;
};

TEST_F(AnalysisStoreTest, StoresResultsAndMarksAnalyzed) {
  EXPECT_TRUE(StoreAnalysis(store_, file_id_, kSize, kMtimeNs, SampleAnalysis()));

  EXPECT_EQ(store_.Segments(file_id_, "video").size(), 2u);
  EXPECT_EQ(store_.Segments(file_id_, "audio").size(), 1u);
  ASSERT_EQ(store_.Texts(file_id_).size(), 1u);
  EXPECT_EQ(store_.Texts(file_id_)[0].text, "harbour gate");
  ASSERT_TRUE(store_.Fingerprint(file_id_).has_value());
  EXPECT_EQ(store_.Fingerprint(file_id_)->items.size(), 3u);
  EXPECT_EQ(store_.PerceptualHash(file_id_), 0x1234u);
  EXPECT_TRUE(Analyzed());
}

TEST_F(AnalysisStoreTest, ReplacesEarlierResults) {
  ASSERT_TRUE(StoreAnalysis(store_, file_id_, kSize, kMtimeNs, SampleAnalysis()));
  FileAnalysis smaller;
  smaller.video_segments.push_back(SampleAnalysis().video_segments[0]);

  EXPECT_TRUE(StoreAnalysis(store_, file_id_, kSize, kMtimeNs, smaller));

  EXPECT_EQ(store_.Segments(file_id_, "video").size(), 1u);
  EXPECT_TRUE(store_.Segments(file_id_, "audio").empty());
  EXPECT_TRUE(store_.Texts(file_id_).empty());
  EXPECT_FALSE(store_.Fingerprint(file_id_).has_value());
  EXPECT_FALSE(store_.PerceptualHash(file_id_).has_value());
}

TEST_F(AnalysisStoreTest, ChangedFileStoresNothing) {
  // The catalog recorded a newer version of the file that is 10 bytes longer.
  store::FileObservation newer = Observe("clip.mp4", kSize + 10, kMtimeNs, 0, "video");
  ASSERT_EQ(catalog_.UpsertFile(newer).change, store::FileChange::kModified);

  EXPECT_FALSE(StoreAnalysis(store_, file_id_, kSize, kMtimeNs, SampleAnalysis()));

  ExpectNothingStored();
}

TEST_F(AnalysisStoreTest, FailedLastWriteStoresNothing) {
  RejectMarkAnalyzed();

  try {
    StoreAnalysis(store_, file_id_, kSize, kMtimeNs, SampleAnalysis());
    FAIL() << "expected the injected failure";
  } catch (const store::SqliteError& error) {
    EXPECT_NE(std::string(error.what()).find("injected failure"), std::string::npos)
        << error.what();
  }

  ExpectNothingStored();
  // The connection is left outside any transaction, ready for the next file.
  EXPECT_FALSE(store::Transaction(catalog_.database()).nested());
}

TEST_F(AnalysisStoreTest, FailedRepeatKeepsEarlierResults) {
  ASSERT_TRUE(StoreAnalysis(store_, file_id_, kSize, kMtimeNs, SampleAnalysis()));
  RejectMarkAnalyzed();
  FileAnalysis smaller;
  smaller.video_segments.push_back(SampleAnalysis().video_segments[0]);

  EXPECT_THROW(StoreAnalysis(store_, file_id_, kSize, kMtimeNs, smaller), store::SqliteError);

  EXPECT_EQ(store_.Segments(file_id_, "video").size(), 2u);
  EXPECT_EQ(store_.Segments(file_id_, "audio").size(), 1u);
  EXPECT_EQ(store_.Texts(file_id_).size(), 1u);
  EXPECT_TRUE(store_.Fingerprint(file_id_).has_value());
  EXPECT_EQ(store_.PerceptualHash(file_id_), 0x1234u);
  EXPECT_TRUE(Analyzed());
}

TEST_F(AnalysisStoreTest, InvalidWindowStoresNothing) {
  FileAnalysis analysis = SampleAnalysis();
  // The audio windows are written after the video segments. This one is
  // invalid because it ends before it starts.
  analysis.audio_windows[0].start_s = 20;

  EXPECT_THROW(StoreAnalysis(store_, file_id_, kSize, kMtimeNs, analysis), Error);

  ExpectNothingStored();
}

}  // namespace
}  // namespace msearch::pipeline

#include <algorithm>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "store/catalog_fixture.h"

namespace msearch::store {
namespace {

using testing::CatalogTest;
using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

// Entries live under the fixed folder /m rather than the random temporary
// folder, whose name could contain a short query word such as "su" or "li".
// Only the rename test uses real files, and it searches for long words.
class CatalogSearch : public CatalogTest {
 protected:
  std::vector<std::string> Search(std::string_view query,
                                  const std::optional<std::string>& kind = std::nullopt) {
    return HitPaths(catalog_.SearchText(query, 50, kind));
  }

  static std::string At(const std::string& relative) { return "/m/" + relative; }

  int64_t Add(const std::string& relative, const std::string& kind = "image") {
    return AddFile(At(relative), kind);
  }
};

TEST_F(CatalogSearch, ByName) {
  Add("holiday/sunset_beach.jpg");
  Add("holiday/mountain.jpg");
  std::vector<TextHit> hits = catalog_.SearchText("sunset", 10);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].file.path, At("holiday/sunset_beach.jpg"));
  EXPECT_EQ(hits[0].file.name, "sunset_beach.jpg");
  EXPECT_GT(hits[0].score, 0.0);
  EXPECT_LE(hits[0].score, 1.0);
  EXPECT_NE(std::find(hits[0].matched_fields.begin(), hits[0].matched_fields.end(), "name"),
            hits[0].matched_fields.end());
}

TEST_F(CatalogSearch, ByPathComponent) {
  Add("vacation2024/img001.jpg");
  Add("work/img002.jpg");
  std::vector<TextHit> hits = catalog_.SearchText("vacation2024", 10);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].file.path, At("vacation2024/img001.jpg"));
  EXPECT_EQ(hits[0].matched_fields, std::vector<std::string>{"path"});
}

TEST_F(CatalogSearch, ByTag) {
  int64_t id = Add("DSC_0042.jpg");
  Add("DSC_0043.jpg");
  MediaInfo info;
  info.tags = {{"title", "Harbour Lights"}, {"artist", "Wen Li"}};
  info.exif = {{"make", "Canon"}, {"iso", 400}};
  ASSERT_TRUE(catalog_.StoreProbeResult(id, 100, 1'000'000'000, info, std::nullopt));

  std::vector<TextHit> hits = catalog_.SearchText("harbour", 10);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].file.id, id);
  EXPECT_EQ(hits[0].matched_fields, std::vector<std::string>{"tags"});
  EXPECT_THAT(Search("canon"), ElementsAre(At("DSC_0042.jpg")));
  EXPECT_THAT(Search("Li"), ElementsAre(At("DSC_0042.jpg")));
  // Only string EXIF values are indexed.
  EXPECT_TRUE(Search("400").empty());
}

TEST_F(CatalogSearch, ChineseSubstrings) {
  Add("港口素材/日落照片.jpg");
  Add("港口素材/日出.jpg");
  Add("其他/夜景.jpg");
  // Two characters: below the trigram length, so matched with LIKE.
  EXPECT_THAT(Search("日落"), ElementsAre(At("港口素材/日落照片.jpg")));
  // Four characters: matched through the trigram index.
  EXPECT_THAT(Search("日落照片"), ElementsAre(At("港口素材/日落照片.jpg")));
  EXPECT_THAT(Search("落照片"), ElementsAre(At("港口素材/日落照片.jpg")));
  EXPECT_THAT(Search("港口"),
              UnorderedElementsAre(At("港口素材/日落照片.jpg"), At("港口素材/日出.jpg")));
  EXPECT_THAT(Search("港口素材"),
              UnorderedElementsAre(At("港口素材/日落照片.jpg"), At("港口素材/日出.jpg")));
  EXPECT_THAT(Search("日"),
              UnorderedElementsAre(At("港口素材/日落照片.jpg"), At("港口素材/日出.jpg")));
  EXPECT_TRUE(Search("日落照相").empty());
  EXPECT_TRUE(Search("月亮").empty());
}

TEST_F(CatalogSearch, CaseInsensitiveEnglish) {
  Add("Sunset.JPG");
  EXPECT_THAT(Search("sunset"), ElementsAre(At("Sunset.JPG")));
  EXPECT_THAT(Search("SUNSET"), ElementsAre(At("Sunset.JPG")));
  EXPECT_THAT(Search("sUn"), ElementsAre(At("Sunset.JPG")));
  EXPECT_THAT(Search("SU"), ElementsAre(At("Sunset.JPG")));
  EXPECT_THAT(Search(".jpg"), ElementsAre(At("Sunset.JPG")));
}

TEST_F(CatalogSearch, EveryWordMustMatch) {
  Add("sunset_beach.jpg");
  Add("sunset_city.jpg");
  Add("beach_ball.jpg");
  EXPECT_THAT(Search("sunset beach"), ElementsAre(At("sunset_beach.jpg")));
  EXPECT_THAT(Search("  beach \t sunset  "), ElementsAre(At("sunset_beach.jpg")));
  EXPECT_THAT(Search("beach"), UnorderedElementsAre(At("sunset_beach.jpg"), At("beach_ball.jpg")));
  // Long and short words combine: "ci" is matched with LIKE.
  EXPECT_THAT(Search("sunset ci"), ElementsAre(At("sunset_city.jpg")));
  EXPECT_TRUE(Search("sunset zebra").empty());
  EXPECT_TRUE(Search("sunset zz").empty());
}

TEST_F(CatalogSearch, NoMatchAndEmptyQuery) {
  Add("sunset.jpg");
  EXPECT_TRUE(Search("zebra").empty());
  EXPECT_TRUE(Search("").empty());
  EXPECT_TRUE(Search("   ").empty());
  EXPECT_TRUE(catalog_.SearchText("sunset", 0).empty());
}

TEST_F(CatalogSearch, KindFilter) {
  Add("harbour.jpg");
  Add("harbour.mp4", "video");
  Add("harbour.mp3", "audio");
  EXPECT_THAT(Search("harbour", "video"), ElementsAre(At("harbour.mp4")));
  EXPECT_THAT(Search("ha", "audio"), ElementsAre(At("harbour.mp3")));
  EXPECT_EQ(Search("harbour").size(), 3u);
  EXPECT_TRUE(Search("harbour", "document").empty());
}

TEST_F(CatalogSearch, LimitRespected) {
  for (int i = 0; i < 20; ++i) Add("clip" + std::to_string(i) + ".jpg");
  EXPECT_EQ(catalog_.SearchText("clip", 7).size(), 7u);
  EXPECT_EQ(catalog_.SearchText("cl", 7).size(), 7u);
  EXPECT_EQ(catalog_.SearchText("clip", 100).size(), 20u);
}

TEST_F(CatalogSearch, SpecialCharactersAreLiteral) {
  Add("he said \"hi there\".jpg");
  Add("100% done.jpg");
  Add("snake_case.jpg");
  Add("plain.jpg");
  for (const char* query :
       {"\"", "\"hi", "said\"", "a\"b\"c", "\"\"\"", "AND", "OR", "NOT", "*", "(", ")", "-plain",
        "plain:", "NEAR(a b)", "^plain", "{x}", "\\", "'", "';--"}) {
    EXPECT_NO_THROW(catalog_.SearchText(query, 10)) << query;
  }
  EXPECT_THAT(Search("\"hi"), ElementsAre(At("he said \"hi there\".jpg")));
  EXPECT_THAT(Search("there\""), ElementsAre(At("he said \"hi there\".jpg")));
  // LIKE wildcards in short words match only themselves.
  EXPECT_THAT(Search("%"), ElementsAre(At("100% done.jpg")));
  EXPECT_THAT(Search("_"), ElementsAre(At("snake_case.jpg")));
  EXPECT_THAT(Search("0%"), ElementsAre(At("100% done.jpg")));
  EXPECT_TRUE(Search("AND").empty());
}

TEST_F(CatalogSearch, RenamedFileFoundUnderNewName) {
  std::filesystem::path old_path = MakeFile("lighthouse_draft.jpg");
  catalog_.UpsertFile(ObserveDisk(old_path));
  std::filesystem::path new_path = root_ / "harbour_final.jpg";
  std::filesystem::rename(old_path, new_path);
  ASSERT_EQ(catalog_.UpsertFile(ObserveDisk(new_path)).change, FileChange::kRenamed);
  EXPECT_THAT(Search("harbour"), ElementsAre(new_path.string()));
  EXPECT_THAT(Search("final"), ElementsAre(new_path.string()));
  EXPECT_TRUE(Search("lighthouse").empty());
  EXPECT_TRUE(Search("draft").empty());
}

TEST_F(CatalogSearch, MovedFolderFoundUnderNewPath) {
  Add("old_album/boat.jpg");
  catalog_.MovePath(At("old_album"), At("harbour_album"));
  EXPECT_THAT(Search("harbour_album"), ElementsAre(At("harbour_album/boat.jpg")));
  EXPECT_TRUE(Search("old_album").empty());
  EXPECT_THAT(Search("boat"), ElementsAre(At("harbour_album/boat.jpg")));
}

TEST_F(CatalogSearch, DeletedFileNotFound) {
  Add("sunset.jpg");
  Add("sunrise.jpg");
  catalog_.RemovePath(At("sunset.jpg"));
  EXPECT_TRUE(Search("sunset").empty());
  EXPECT_THAT(Search("sun"), ElementsAre(At("sunrise.jpg")));
  EXPECT_THAT(Search("su"), ElementsAre(At("sunrise.jpg")));
}

TEST_F(CatalogSearch, NameMatchRanksAbovePathMatch) {
  Add("harbour/boat.jpg");
  Add("misc/harbour.jpg");
  std::vector<TextHit> hits = catalog_.SearchText("harbour", 10);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].file.path, At("misc/harbour.jpg"));
  EXPECT_GE(hits[0].score, hits[1].score);
}

}  // namespace
}  // namespace msearch::store

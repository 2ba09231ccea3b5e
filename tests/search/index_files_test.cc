#include "search/index_files.h"

#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/error.h"
#include "support/temp_dir.h"

namespace msearch::search {
namespace {

TEST(SpaceFileStem, KeepsSafeCharactersAndAddsHash) {
  std::string stem = SpaceFileStem("clip-vit-b32/image");
  EXPECT_EQ(stem.rfind("clip-vit-b32_image-", 0), 0u) << stem;
  EXPECT_EQ(stem.size(), std::string("clip-vit-b32_image-").size() + 8);
  EXPECT_NE(SpaceFileStem("a/b"), SpaceFileStem("a_b"));
  EXPECT_EQ(SpaceFileStem("a/b"), SpaceFileStem("a/b"));
  EXPECT_EQ(SpaceFileStem("..").find('/'), std::string::npos);
  EXPECT_NE(SpaceFileStem("..").front(), '.');
}

TEST(Sha256OfFile, MatchesKnownDigest) {
  msearch::testing::TempDir dir;
  std::ofstream(dir / "abc") << "abc";
  EXPECT_EQ(Sha256OfFile(dir / "abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_THROW(Sha256OfFile(dir / "missing"), Error);
}

TEST(Manifest, RoundTrips) {
  IndexManifest manifest;
  manifest.space = "clap/audio";
  manifest.dimension = 512;
  manifest.count = 12;
  manifest.generation = 3;
  manifest.m = 16;
  manifest.ef_construction = 200;
  manifest.graph_file = "x.3.hnsw";
  manifest.graph_bytes = 1234;
  manifest.graph_sha256 = "ab";
  manifest.keys_file = "x.3.keys";
  manifest.catalog_max_id = 99;
  manifest.saved_at = 1.5;
  IndexManifest parsed = ParseManifest(ManifestToJson(manifest), "m.json");
  EXPECT_EQ(parsed.space, "clap/audio");
  EXPECT_EQ(parsed.dimension, 512u);
  EXPECT_EQ(parsed.generation, 3u);
  EXPECT_EQ(parsed.graph_file, "x.3.hnsw");
  EXPECT_EQ(parsed.graph_bytes, 1234u);
  EXPECT_EQ(parsed.catalog_max_id, 99);
  EXPECT_DOUBLE_EQ(parsed.saved_at, 1.5);
}

TEST(Manifest, RejectsInvalidDocuments) {
  EXPECT_THROW(ParseManifest("not json", "m.json"), Error);
  EXPECT_THROW(ParseManifest("[1]", "m.json"), Error);
  EXPECT_THROW(ParseManifest(R"({"format": 1})", "m.json"), Error);
  IndexManifest manifest;
  manifest.graph_file = "../escape.hnsw";
  manifest.keys_file = "k";
  EXPECT_THROW(ParseManifest(ManifestToJson(manifest), "m.json"), Error);
  manifest.graph_file = "g";
  manifest.format = 2;
  EXPECT_THROW(ParseManifest(ManifestToJson(manifest), "m.json"), Error);
}

TEST(KeysFile, RoundTripsAndRejectsDamage) {
  msearch::testing::TempDir dir;
  std::vector<store::EmbeddingKey> keys = {{1, 10, 100.5}, {5, 10, 100.5}, {9, 11, 200.25}};
  WriteKeysFile(dir / "k.keys", keys);
  EXPECT_EQ(ReadKeysFile(dir / "k.keys"), keys);

  std::filesystem::resize_file(dir / "k.keys", std::filesystem::file_size(dir / "k.keys") - 1);
  EXPECT_THROW(ReadKeysFile(dir / "k.keys"), Error);
  std::vector<store::EmbeddingKey> unordered = {{5, 1, 0}, {1, 1, 0}};
  WriteKeysFile(dir / "u.keys", unordered);
  EXPECT_THROW(ReadKeysFile(dir / "u.keys"), Error);
  std::ofstream(dir / "g.keys") << "garbage that is not a keys file";
  EXPECT_THROW(ReadKeysFile(dir / "g.keys"), Error);
}

TEST(WriteFileAtomically, ReplacesContentsAndLeavesNoTemporary) {
  msearch::testing::TempDir dir;
  WriteFileAtomically(dir / "f.json", "one");
  WriteFileAtomically(dir / "f.json", "two");
  EXPECT_EQ(ReadWholeFile(dir / "f.json"), "two");
  EXPECT_FALSE(std::filesystem::exists(dir / "f.json.tmp"));
}

}  // namespace
}  // namespace msearch::search

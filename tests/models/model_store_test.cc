#include "models/model_store.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "common/error.h"
#include "hub_test_server.h"
#include "models/file_digest.h"
#include "support/shared_data.h"
#include "support/temp_dir.h"

namespace msearch::models {
namespace {

namespace fs = std::filesystem;

// Entries under the store's staging folder: leftovers of failed work.
int StagingEntries(const ModelStore& store) {
  std::error_code error;
  int count = 0;
  for (auto it = fs::directory_iterator(store.dir() / ".partial", error);
       !error && it != fs::directory_iterator(); ++it) {
    ++count;
  }
  return count;
}

TEST(ModelStore, ImportEachFixture) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  msearch::testing::TempDir temp;
  ModelStore store(temp / "models");
  const std::map<std::string, ModelFamily> families = {{"clip", ModelFamily::kClip},
                                                       {"chinese_clip", ModelFamily::kChineseClip},
                                                       {"clap", ModelFamily::kClap}};
  for (const auto& [name, family] : families) {
    fs::path source = shared / "fixtures" / "models" / name;
    InstalledModel model = store.Import(source, {});
    EXPECT_EQ(model.name, name);
    ASSERT_TRUE(model.family) << model.problem;
    EXPECT_EQ(*model.family, family);
    EXPECT_TRUE(model.problem.empty()) << model.problem;
    ASSERT_TRUE(model.manifest);
    EXPECT_EQ(model.manifest->source, "import");
    EXPECT_EQ(model.manifest->origin, source.string());
    EXPECT_EQ(model.manifest->family, FamilyName(family));
    for (const ManifestFile& file : model.manifest->files) {
      EXPECT_EQ(file.sha256, Sha256File(source / file.path)) << file.path;
      EXPECT_EQ(file.size, fs::file_size(source / file.path)) << file.path;
    }
    // Only checkpoint files are copied, not the fixtures' goldens and inputs.
    EXPECT_TRUE(fs::exists(model.path / "model.safetensors"));
    EXPECT_FALSE(fs::exists(model.path / "goldens.safetensors"));
    EXPECT_FALSE(fs::exists(model.path / "inputs"));
    EXPECT_FALSE(fs::is_symlink(model.path / "config.json"));
  }
  std::vector<InstalledModel> listed = store.List();
  ASSERT_EQ(listed.size(), 3u);
  EXPECT_EQ(listed[0].name, "chinese_clip");
  EXPECT_EQ(listed[1].name, "clap");
  EXPECT_EQ(listed[2].name, "clip");
  EXPECT_EQ(listed[1].modalities, (std::vector<std::string>{"audio", "text"}));
  EXPECT_EQ(listed[2].size_bytes, fs::file_size(listed[2].path / "model.safetensors") +
                                      fs::file_size(listed[2].path / "config.json") +
                                      fs::file_size(listed[2].path / "vocab.json") +
                                      fs::file_size(listed[2].path / "merges.txt") +
                                      fs::file_size(listed[2].path / "preprocessor_config.json") +
                                      fs::file_size(listed[2].path / "tokenizer_config.json") +
                                      fs::file_size(listed[2].path / "special_tokens_map.json"));
  EXPECT_EQ(StagingEntries(store), 0);
}

TEST(ModelStore, ImportLinkCreatesSymlinks) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  msearch::testing::TempDir temp;
  ModelStore store(temp / "models");
  fs::path source = shared / "fixtures" / "models" / "clip";
  InstalledModel model = store.Import(source, {"tiny-clip", /*link=*/true});
  EXPECT_EQ(model.name, "tiny-clip");
  EXPECT_TRUE(model.problem.empty()) << model.problem;
  ASSERT_TRUE(fs::is_symlink(model.path / "model.safetensors"));
  EXPECT_EQ(fs::read_symlink(model.path / "model.safetensors"),
            fs::canonical(source / "model.safetensors"));
  ASSERT_TRUE(model.manifest);
  EXPECT_TRUE(model.manifest->linked);

  store.Remove("tiny-clip");
  EXPECT_FALSE(store.Contains("tiny-clip"));
  EXPECT_TRUE(fs::exists(source / "model.safetensors"));
}

TEST(ModelStore, ImportRejectsTakenName) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  msearch::testing::TempDir temp;
  ModelStore store(temp / "models");
  store.Import(shared / "fixtures" / "models" / "clip", {});
  try {
    store.Import(shared / "fixtures" / "models" / "clap", {"clip", false});
    FAIL() << "a second model named clip was installed";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("already installed"), std::string::npos)
        << error.what();
  }
  EXPECT_EQ(*store.Inspect("clip").family, ModelFamily::kClip);
}

TEST(ModelStore, BrokenImportInstallsNothing) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  msearch::testing::TempDir temp;
  models::testing::CopyWritable(shared / "fixtures" / "models" / "clap", temp / "clap");
  fs::remove(temp / "clap" / "merges.txt");
  ModelStore store(temp / "models");
  try {
    store.Import(temp / "clap", {});
    FAIL() << "a folder without merges.txt was imported";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("merges.txt"), std::string::npos) << error.what();
  }
  EXPECT_TRUE(store.List().empty());
  EXPECT_EQ(StagingEntries(store), 0);
}

TEST(ModelStore, RemoveUnknownFails) {
  msearch::testing::TempDir temp;
  ModelStore store(temp / "models");
  try {
    store.Remove("absent");
    FAIL() << "removing an absent model succeeded";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("not installed"), std::string::npos) << error.what();
  }
}

TEST(ModelStore, ListReportsDamagedModel) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  msearch::testing::TempDir temp;
  ModelStore store(temp / "models");
  InstalledModel model = store.Import(shared / "fixtures" / "models" / "clip", {});
  fs::permissions(model.path / "vocab.json", fs::perms::owner_write, fs::perm_options::add);
  fs::remove(model.path / "vocab.json");
  std::vector<InstalledModel> listed = store.List();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_FALSE(listed[0].family);
  EXPECT_NE(listed[0].problem.find("vocab.json"), std::string::npos) << listed[0].problem;
  ASSERT_TRUE(listed[0].manifest);
}

TEST(ModelStore, ListSkipsStagingAndMissingDir) {
  msearch::testing::TempDir temp;
  ModelStore store(temp / "models");
  EXPECT_TRUE(store.List().empty());
  store.StagingDir("pull-x@main");
  EXPECT_TRUE(store.List().empty());
}

}  // namespace
}  // namespace msearch::models

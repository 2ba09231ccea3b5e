#include "models/model_name.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace msearch::models {
namespace {

TEST(ModelName, ParsesIdAndRevision) {
  HubModelRef ref = ParseHubModelRef("openai/clip-vit-base-patch32@v1.0");
  EXPECT_EQ(ref.repo_id, "openai/clip-vit-base-patch32");
  EXPECT_EQ(ref.revision, "v1.0");
}

TEST(ModelName, RevisionDefaultsToMain) {
  HubModelRef ref = ParseHubModelRef("bert-base-uncased");
  EXPECT_EQ(ref.repo_id, "bert-base-uncased");
  EXPECT_EQ(ref.revision, "main");
}

TEST(ModelName, RejectsInvalidIds) {
  for (const char* text : {"", "a/b/c", "/name", "owner/", "owner/na me", "owner/..", "a--b/c",
                           "owner/name@", ".hidden/name", "owner/name;rm"}) {
    EXPECT_THROW(ParseHubModelRef(text), Error) << text;
  }
}

TEST(ModelName, StoreNameMapsSlash) {
  EXPECT_EQ(StoreName("openai/clip-vit-base-patch32"), "openai--clip-vit-base-patch32");
  EXPECT_EQ(StoreName("openai--clip-vit-base-patch32"), "openai--clip-vit-base-patch32");
  EXPECT_EQ(StoreName("clip"), "clip");
}

TEST(ModelName, CheckStoreNameRejectsPaths) {
  EXPECT_NO_THROW(CheckStoreName("openai--clip_v1.2"));
  for (const char* name : {"", ".", "..", ".partial", "a/b", "a b", "../x"}) {
    EXPECT_THROW(CheckStoreName(name), Error) << name;
  }
}

}  // namespace
}  // namespace msearch::models

#include "common/content_hash.h"

#include <fstream>
#include <regex>
#include <string>

#include <gtest/gtest.h>

#include "common/error.h"
#include "support/temp_dir.h"

namespace msearch {
namespace {

using testing::TempDir;

constexpr size_t kBlock = 64 * 1024;

std::filesystem::path Write(const TempDir& dir, const std::string& name,
                            const std::string& content) {
  std::filesystem::path path = dir / name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

// Deterministic bytes that differ from block to block.
std::string Pattern(size_t size) {
  std::string content(size, '\0');
  for (size_t i = 0; i < size; ++i) content[i] = static_cast<char>((i * 131 + i / 7) & 0xff);
  return content;
}

TEST(SampledContentHash, KnownValues) {
  TempDir dir;
  // SHA-256 of "5:hello": the size, a colon, then the whole small file.
  EXPECT_EQ(SampledContentHash(Write(dir, "hello", "hello")),
            "s1:a3a285698dc7dbfe23947339ee187d471f643617f88b4af70209bb1a01edd9d9");
  // SHA-256 of "0:".
  EXPECT_EQ(SampledContentHash(Write(dir, "empty", "")),
            "s1:ba768b331fd86cec803be04e56ab2b3d4c0e98ef4ee4fcd4e72ad7cce61a1d1f");
}

TEST(SampledContentHash, Format) {
  TempDir dir;
  std::string hash = SampledContentHash(Write(dir, "a", Pattern(1000)));
  EXPECT_TRUE(std::regex_match(hash, std::regex("^s1:[0-9a-f]{64}$"))) << hash;
}

TEST(SampledContentHash, SameContentSameHash) {
  TempDir dir;
  std::string content = Pattern(5 * kBlock);
  EXPECT_EQ(SampledContentHash(Write(dir, "a", content)),
            SampledContentHash(Write(dir, "b", content)));
}

TEST(SampledContentHash, SmallFileHashesEveryByte) {
  TempDir dir;
  std::string content = Pattern(3 * kBlock);
  std::string base = SampledContentHash(Write(dir, "base", content));
  for (size_t offset : {size_t{0}, kBlock + 5, 2 * kBlock - 1, 3 * kBlock - 1}) {
    std::string changed = content;
    changed[offset] = static_cast<char>(changed[offset] ^ 1);
    EXPECT_NE(SampledContentHash(Write(dir, "changed", changed)), base) << offset;
  }
}

TEST(SampledContentHash, LargeFileHashesSampledBlocks) {
  TempDir dir;
  const size_t size = 10 * kBlock;
  std::string content = Pattern(size);
  std::string base = SampledContentHash(Write(dir, "base", content));
  // Offsets inside the start, middle and end blocks.
  for (size_t offset : {size_t{0}, kBlock - 1, size / 2, size - kBlock, size - 1}) {
    std::string changed = content;
    changed[offset] = static_cast<char>(changed[offset] ^ 1);
    EXPECT_NE(SampledContentHash(Write(dir, "changed", changed)), base) << offset;
  }
  // A byte between the sampled blocks is not read: the hash is a sample.
  std::string outside = content;
  outside[2 * kBlock] = static_cast<char>(outside[2 * kBlock] ^ 1);
  EXPECT_EQ(SampledContentHash(Write(dir, "outside", outside)), base);
}

TEST(SampledContentHash, SizeIsPartOfHash) {
  TempDir dir;
  // Both uniform files have identical sampled blocks, so only the size
  // differs in what is hashed.
  std::string a = SampledContentHash(Write(dir, "a", std::string(10 * kBlock, 'a')));
  std::string b = SampledContentHash(Write(dir, "b", std::string(10 * kBlock + 1, 'a')));
  EXPECT_NE(a, b);
}

TEST(SampledContentHash, MissingFileNamed) {
  TempDir dir;
  std::filesystem::path missing = dir / "missing.jpg";
  try {
    SampledContentHash(missing);
    FAIL() << "expected Error";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find(missing.string()), std::string::npos) << error.what();
  }
}

TEST(SampledContentHash, DirectoryRejected) {
  TempDir dir;
  EXPECT_THROW(SampledContentHash(dir.path()), Error);
}

TEST(FullContentHash, KnownValues) {
  TempDir dir;
  // sha256sum of the five bytes "hello".
  EXPECT_EQ(FullContentHash(Write(dir, "hello", "hello")),
            "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
  // Three million 'a' bytes span several read blocks.
  EXPECT_EQ(FullContentHash(Write(dir, "many", std::string(3'000'000, 'a'))),
            "sha256:2a152c894398719c0570f83fac34ac03a0f6e8e474b995c2403aa5434f7b9dd4");
}

TEST(FullContentHash, SeesChangesSamplingMisses) {
  TempDir dir;
  std::string content = Pattern(10 * kBlock);
  std::filesystem::path original = Write(dir, "original", content);
  content[4 * kBlock] ^= 1;  // outside the three sampled blocks
  std::filesystem::path changed = Write(dir, "changed", content);
  EXPECT_EQ(SampledContentHash(original), SampledContentHash(changed));
  EXPECT_NE(FullContentHash(original), FullContentHash(changed));
}

TEST(FullContentHash, MissingFileNamed) {
  TempDir dir;
  try {
    FullContentHash(dir / "absent.bin");
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("absent.bin"), std::string::npos);
  }
}

}  // namespace
}  // namespace msearch

#pragma once

#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace msearch::media::testing {

// One file listed in the shared corpus manifest.json.
struct CorpusEntry {
  std::string path;  // relative to the corpus folder, UTF-8
  std::string kind;  // image, video, audio, broken or other
  nlohmann::json expected;

  std::filesystem::path FullPath() const;
  std::string FileName() const;
};

// Prints the entry's path in GoogleTest messages.
void PrintTo(const CorpusEntry& entry, std::ostream* out);

// Returns true for the broken-folder files that must decode: a valid PNG
// under a .jpg name (its manifest entry gives the format) and a WAV cut
// short, whose audio present plays.
bool IsReadableBrokenFile(const CorpusEntry& entry);

// Returns the broken-folder files that must fail to decode.
std::vector<CorpusEntry> UnreadableBrokenEntries();

// Returns the corpus folder, or an empty path when the shared folder is
// missing.
std::filesystem::path CorpusDir();

// Returns every entry of the manifest, or an empty list when the shared
// folder is missing.
const std::vector<CorpusEntry>& CorpusEntries();

// Returns the entries of the given manifest kinds.
std::vector<CorpusEntry> CorpusEntriesOfKind(std::initializer_list<std::string_view> kinds);

// Returns a GoogleTest-safe name for an entry: its path with every
// character other than letters and digits replaced by '_', plus a counter
// that keeps names with non-ASCII characters distinct.
std::string TestNameFor(const CorpusEntry& entry, size_t index);

// Names the cases of a test parameterised over corpus entries.
struct CorpusTestName {
  std::string operator()(const ::testing::TestParamInfo<CorpusEntry>& param) const {
    return TestNameFor(param.param, param.index);
  }
};

}  // namespace msearch::media::testing
